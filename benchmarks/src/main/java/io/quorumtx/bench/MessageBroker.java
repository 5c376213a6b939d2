package io.quorumtx.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;

import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.quorumtx.messaging.MessagePublisher;
import io.quorumtx.messaging.nats.JetStreamPublisher;
import io.quorumtx.messaging.rabbitmq.RabbitMqPublisher;

/**
 * The brokers of the messaging benchmark, reached with their official clients: RabbitMQ at
 * 127.0.0.1:5672 (guest/guest) and NATS JetStream at 127.0.0.1:4222. For each: whether it runs
 * (and how to start it when not, for the skip line), a direct publisher (the unsafe way: the
 * application publishes itself, waiting for the broker's confirmation), a receiver that records
 * each message's id as it arrives, and the names a run's destination gets. Each run uses its own
 * queue or stream and deletes it at the end: the brokers are shared.
 */
enum MessageBroker {
    RABBITMQ("rabbitmq", "RabbitMQ at 127.0.0.1:5672", 5672, "rabbitmq-server -detached"),
    JETSTREAM("jetstream", "NATS JetStream at 127.0.0.1:4222", 4222,
            "start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server --"
                    + " -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log");

    static final String HOST = "127.0.0.1";

    private final String label;
    private final String server;
    private final int port;
    private final String startCommand;

    MessageBroker(String label, String server, int port, String startCommand) {
        this.label = label;
        this.server = server;
        this.port = port;
        this.startCommand = startCommand;
    }

    String label() {
        return label;
    }

    int port() {
        return port;
    }

    static MessageBroker byName(String name) {
        for (MessageBroker b : values()) {
            if (b.label.equals(name)) {
                return b;
            }
        }
        throw new IllegalArgumentException("bench.messaging.brokers: unknown broker '" + name
                + "'; allowed: rabbitmq,jetstream");
    }

    /** Empty when the broker accepts connections; otherwise why not and how to start it (for the skip row). */
    Optional<String> unavailable() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 3000);
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(server + " is not reachable (" + e.getMessage() + "); start it (here: "
                    + startCommand + "; .ci/run does it)");
        }
    }

    /** The outbox destination for a run's queue (RabbitMQ: default exchange, routing key = queue) or subject. */
    String destination(String name) {
        return this == RABBITMQ ? "/" + name : name;
    }

    /** Publishes straight to the broker, one message at a time, each confirmed before it returns. */
    interface DirectPublisher extends AutoCloseable {
        void publish(String messageId, byte[] payload) throws Exception;

        @Override
        void close() throws IOException;
    }

    /** Receives a run's messages; {@code onMessage} gets each payload, as text, on arrival (duplicates included). */
    interface Receiver extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    DirectPublisher directPublisher(String name) throws Exception {
        if (this == RABBITMQ) {
            com.rabbitmq.client.Connection connection = rabbit().newConnection("bench-direct");
            Channel channel = connection.createChannel();
            channel.confirmSelect();
            return new DirectPublisher() {
                @Override
                public void publish(String messageId, byte[] payload) throws Exception {
                    channel.basicPublish("", name, true, new AMQP.BasicProperties.Builder().messageId(messageId)
                            .deliveryMode(2).build(), payload);
                    channel.waitForConfirmsOrDie(10_000);
                }

                @Override
                public void close() throws IOException {
                    connection.close();
                }
            };
        }
        io.nats.client.Connection connection = Nats.connect("nats://" + HOST + ":" + port);
        JetStream js = connection.jetStream();
        return new DirectPublisher() {
            @Override
            public void publish(String messageId, byte[] payload) throws Exception {
                Headers h = new Headers();
                h.add("Nats-Msg-Id", messageId);
                js.publish(name, h, payload);
            }

            @Override
            public void close() throws IOException {
                closeNats(connection);
            }
        };
    }

    /**
     * Creates the run's queue or stream (so nothing published before the receiver starts is dropped)
     * and receives from it; closing deletes it.
     */
    Receiver receiver(String name, Consumer<String> onMessage) throws Exception {
        if (this == RABBITMQ) {
            com.rabbitmq.client.Connection connection = rabbit().newConnection("bench-receiver");
            Channel channel = connection.createChannel();
            channel.queueDeclare(name, true, false, false, null);
            channel.basicConsume(name, true,
                    (tag, delivery) -> onMessage.accept(new String(delivery.getBody(), StandardCharsets.UTF_8)),
                    tag -> { });
            return () -> {
                try {
                    channel.queueDelete(name);
                } finally {
                    connection.close();
                }
            };
        }
        io.nats.client.Connection connection = Nats.connect("nats://" + HOST + ":" + port);
        connection.jetStreamManagement().addStream(StreamConfiguration.builder().name(name).subjects(name)
                .storageType(StorageType.File).duplicateWindow(Duration.ofMinutes(2)).build());
        Dispatcher dispatcher = connection.createDispatcher();
        connection.jetStream().subscribe(name, dispatcher,
                m -> onMessage.accept(new String(m.getData(), StandardCharsets.UTF_8)),
                false, PushSubscribeOptions.builder().configuration(ConsumerConfiguration.builder()
                        .ackPolicy(AckPolicy.None).build()).build());
        return () -> {
            try {
                connection.jetStreamManagement().deleteStream(name);
            } catch (JetStreamApiException e) {
                // Best effort: the stream of a finished run holds nothing anyone needs.
            } finally {
                closeNats(connection);
            }
        };
    }

    /** The outbox relay's publisher, with the messaging module's defaults. */
    MessagePublisher relayPublisher() throws IOException {
        if (this == RABBITMQ) {
            return RabbitMqPublisher.builder().host(HOST).port(port).user("guest").password("guest").build();
        }
        return JetStreamPublisher.builder().url("nats://" + HOST + ":" + port).build();
    }

    private static void closeNats(io.nats.client.Connection connection) throws IOException {
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while closing the NATS connection", e);
        }
    }

    private static ConnectionFactory rabbit() {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(HOST);
        f.setPort(RABBITMQ.port);
        f.setUsername("guest");
        f.setPassword("guest");
        return f;
    }
}
