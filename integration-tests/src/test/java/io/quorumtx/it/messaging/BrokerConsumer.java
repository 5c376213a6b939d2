package io.quorumtx.it.messaging;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

/**
 * The consumer of one test run's destination on the real broker (never through the proxy: only
 * the relay's link is cut). Declares what the destination needs before any relay publishes —
 * a RabbitMQ queue named after it, a JetStream stream over its subject with a two-minute
 * de-duplication window — hands every delivery to the {@link ConsumerLedger}, acknowledges it
 * after the ledger committed, and removes the queue or stream on close.
 */
abstract class BrokerConsumer implements AutoCloseable {
    /** The first failure of the delivery thread, rethrown by {@link #check()}. */
    protected final AtomicReference<Throwable> failure = new AtomicReference<>();

    static BrokerConsumer start(Broker broker, String destination, ConsumerLedger ledger) throws Exception {
        return broker == Broker.RABBITMQ ? new RabbitMq(destination, ledger) : new JetStream(destination, ledger);
    }

    /** Stops consuming and removes the run's queue or stream. */
    @Override
    public abstract void close() throws IOException;

    /** Fails the test with what went wrong in the consumer's thread, if anything did. */
    void check() {
        Throwable t = failure.get();
        if (t != null) {
            throw new AssertionError("the consumer failed: " + t, t);
        }
    }

    /** Consumes from a queue named {@code destination}, bound to the default exchange. */
    static final class RabbitMq extends BrokerConsumer {
        private final com.rabbitmq.client.Connection connection;
        private final Channel channel;
        private final String queue;

        RabbitMq(String destination, ConsumerLedger ledger) throws Exception {
            this.queue = destination;
            ConnectionFactory f = new ConnectionFactory();
            f.setHost(Broker.HOST);
            f.setPort(Broker.RABBITMQ.port());
            f.setUsername("guest");
            f.setPassword("guest");
            connection = f.newConnection("msgk-consumer");
            channel = connection.createChannel();
            channel.queueDeclare(queue, false, false, false, null);
            channel.basicQos(50);
            channel.basicConsume(queue, false, (tag, delivery) -> {
                try {
                    ledger.handle(Delivery.parse(delivery.getProperties().getMessageId(),
                            new String(delivery.getBody(), StandardCharsets.UTF_8)));
                    channel.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
                } catch (Exception | Error e) {
                    failure.compareAndSet(null, e);
                }
            }, tag -> { });
        }

        @Override
        public void close() throws IOException {
            try {
                channel.queueDelete(queue);
            } finally {
                connection.close();
            }
        }
    }

    /** Consumes the subject {@code destination} from a stream of the same name, with a pull loop. */
    static final class JetStream extends BrokerConsumer {
        private final io.nats.client.Connection connection;
        private final String stream;
        private final Thread loop;
        private volatile boolean running = true;

        JetStream(String destination, ConsumerLedger ledger) throws Exception {
            this.stream = destination;
            connection = Nats.connect("nats://" + Broker.HOST + ":" + Broker.JETSTREAM.port());
            connection.jetStreamManagement().addStream(StreamConfiguration.builder().name(stream)
                    .subjects(destination).storageType(StorageType.Memory)
                    .duplicateWindow(Duration.ofMinutes(2)).build());
            JetStreamSubscription sub = connection.jetStream().subscribe(destination,
                    PullSubscribeOptions.builder().durable("msgk-consumer").build());
            loop = new Thread(() -> {
                try {
                    while (running) {
                        List<Message> batch = sub.fetch(50, Duration.ofMillis(200));
                        for (Message m : batch) {
                            String id = m.getHeaders() == null ? null : m.getHeaders().getFirst("Nats-Msg-Id");
                            ledger.handle(Delivery.parse(id, new String(m.getData(), StandardCharsets.UTF_8)));
                            m.ack();
                        }
                    }
                } catch (Exception | Error e) {
                    if (running) {
                        failure.compareAndSet(null, e);
                    }
                }
            }, "msgk-jetstream-consumer");
            loop.setDaemon(true);
            loop.start();
        }

        @Override
        public void close() throws IOException {
            running = false;
            try {
                loop.join(5000);
                try {
                    connection.jetStreamManagement().deleteStream(stream);
                } catch (JetStreamApiException | IOException e) {
                    // Best effort: a memory stream of a finished run holds nothing anyone needs.
                } finally {
                    connection.close();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while closing the JetStream consumer", e);
            }
        }
    }
}
