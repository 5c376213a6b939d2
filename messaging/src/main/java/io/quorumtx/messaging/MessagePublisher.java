package io.quorumtx.messaging;

import java.util.List;

/**
 * How an {@link OutboxRelay} hands committed messages to a broker: the one extension point
 * between the outbox and a broker client. Implementations: {@code rabbitmq.RabbitMqPublisher}
 * (publisher confirms), {@code nats.JetStreamPublisher} (publish acknowledgements).
 *
 * <p>The relay deletes a message from the outbox only after {@link #publish} said the broker has
 * it, so an implementation must not return before the broker confirmed every message of the
 * batch (written to its log, routed to at least one queue or stream). Publishing the messages of a
 * batch in list order matters: the list holds each key's messages in {@code keySeq} order, and
 * both RabbitMQ (per channel) and JetStream (per connection) keep the order of publications.
 *
 * <p>Called by one relay thread at a time; {@link #close()} when the relay is done with it (a
 * publisher built on a connection the caller passed in leaves that connection open).
 */
public interface MessagePublisher extends AutoCloseable {

    /**
     * Publishes {@code batch} in order and waits for the broker's confirmation of each message.
     *
     * @throws PublishException if some messages are not confirmed: it says which ones were confirmed
     *     anyway (the relay deletes those) and which the broker refused for good (unroutable,
     *     rejected: they count toward the dead-letter limit); the others are retried after a back-off
     */
    void publish(List<OutboxMessage> batch) throws PublishException;

    /** Releases what the publisher opened itself. */
    @Override
    void close();
}
