package io.quorumtx.messaging;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.quorumtx.testsupport.ExternalDatabases;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * The brokers the messaging tests publish to: RabbitMQ at 127.0.0.1:5672 (guest/guest) and NATS
 * with JetStream at 127.0.0.1:4222. Like {@link ExternalDatabases}: a test that needs one calls
 * {@link #rabbitMq()} or {@link #nats()} first; when the broker is not listening the test is skipped,
 * unless {@code QUORUMTX_REQUIRE_DATABASES=1}, when it fails (CI must not pass because a broker was
 * quietly missing). Tests never stop these shared servers: outages go through a {@link TcpProxy}.
 */
final class Brokers {
    static final String HOST = "127.0.0.1";
    static final int RABBITMQ_PORT = 5672;
    static final int NATS_PORT = 4222;
    private static final String HOW_TO_ENABLE = "start RabbitMQ (127.0.0.1:5672, guest/guest) and NATS with JetStream"
            + " (nats-server -js, 127.0.0.1:4222); .ci/run starts both";

    private Brokers() {
    }

    static void rabbitMq() {
        require("RabbitMQ at " + HOST + ":" + RABBITMQ_PORT, RABBITMQ_PORT);
    }

    static void nats() {
        require("NATS at " + HOST + ":" + NATS_PORT, NATS_PORT);
    }

    static String natsUrl() {
        return "nats://" + HOST + ":" + NATS_PORT;
    }

    private static void require(String label, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, port), 2000);
        } catch (IOException e) {
            String why = label + " is not reachable (" + e.getMessage() + ")";
            if (ExternalDatabases.required()) {
                fail(why + "; QUORUMTX_REQUIRE_DATABASES=1 requires it (" + HOW_TO_ENABLE + ")");
            }
            assumeTrue(false, why + "; skipping. To run these tests: " + HOW_TO_ENABLE
                    + "; set QUORUMTX_REQUIRE_DATABASES=1 to fail instead of skipping");
        }
    }
}
