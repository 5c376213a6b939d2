package io.quorumtx.it.messaging;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

import io.quorumtx.testsupport.ExternalDatabases;

/**
 * The two shared brokers of this machine kind. Tests only ever connect to them (or to a proxy in
 * front of them): they are never stopped, because other engineers' tests use them too.
 */
enum Broker {
    /** RabbitMQ at 127.0.0.1:5672, guest/guest (the package's account, allowed from localhost only). */
    RABBITMQ("RabbitMQ at 127.0.0.1:5672", 5672),
    /** NATS with JetStream at 127.0.0.1:4222, no authentication. */
    JETSTREAM("NATS JetStream at 127.0.0.1:4222", 4222);

    static final String HOST = "127.0.0.1";

    private final String label;
    private final int port;

    Broker(String label, int port) {
        this.label = label;
        this.port = port;
    }

    int port() {
        return port;
    }

    String label() {
        return label;
    }

    /**
     * Skips the calling test when the broker does not accept connections, or fails it under
     * {@code QUORUMTX_REQUIRE_DATABASES=1} (the same switch as the database servers': CI must not
     * pass because a broker was quietly missing).
     */
    Broker require() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 3000);
        } catch (IOException e) {
            ExternalDatabases.unavailable(label + " is not reachable (" + e.getMessage()
                    + "); .ci/run starts it (rabbitmq-server -detached; nats-server -js, see .ci/run)");
        }
        return this;
    }
}
