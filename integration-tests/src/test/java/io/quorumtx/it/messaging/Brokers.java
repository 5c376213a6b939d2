package io.quorumtx.it.messaging;

import java.time.Duration;
import java.util.UUID;

import io.quorumtx.messaging.MessagePublisher;
import io.quorumtx.messaging.nats.JetStreamPublisher;
import io.quorumtx.messaging.rabbitmq.RabbitMqPublisher;

/** The relay's side of a broker: its publisher, and how a test names what it publishes to. */
final class Brokers {
    private Brokers() {
    }

    /**
     * A unique prefix for one run's tables, queue or stream ({@code msgk_} and 8 hex digits), so
     * runs on the shared servers never see each other's rows or messages.
     */
    static String uniquePrefix() {
        return "msgk_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    }

    /**
     * The outbox destination for the run's queue or subject {@code name}: RabbitMQ through the default
     * exchange straight to the queue ({@code "/name"}), JetStream the subject itself.
     */
    static String destination(Broker broker, String name) {
        return broker == Broker.RABBITMQ ? "/" + name : name;
    }

    /** The lease of the test's relays: short, so a relay that takes over a killed one's partitions waits little. */
    static final Duration LEASE = Duration.ofSeconds(3);
    /** A publication must end within a third of the lease (OutboxRelay.Builder#lease). */
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(1);

    /** The relay's publisher to the broker at 127.0.0.1:{@code port} (the broker itself or a proxy in front of it). */
    static MessagePublisher publisher(Broker broker, int port) throws Exception {
        if (broker == Broker.RABBITMQ) {
            return RabbitMqPublisher.builder().host(Broker.HOST).port(port).user("guest").password("guest")
                    .confirmTimeout(CONFIRM_TIMEOUT).build();
        }
        return JetStreamPublisher.builder().url("nats://" + Broker.HOST + ":" + port).ackTimeout(CONFIRM_TIMEOUT)
                .build();
    }
}
