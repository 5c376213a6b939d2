package io.quorumtx.messaging;

import java.util.Objects;
import java.util.UUID;

/**
 * The stable, unique id of one outbox message. It is chosen once, when the message is written
 * into the outbox inside the sender's transaction, and travels with every publication of the
 * message: RabbitMQ's {@code BasicProperties.messageId}, JetStream's {@code Nats-Msg-Id} header.
 * A relay that publishes a message again (after a crash between the broker's confirm and the
 * outbox delete) publishes it under the same id, so JetStream's duplicate window or an
 * {@link Inbox} on the consumer side turns at-least-once delivery into an exactly-once effect.
 *
 * @param value the id's text: 1 to {@value #MAX_LENGTH} printable ASCII characters (a random UUID
 *     for ids the outbox makes)
 */
public record MessageId(String value) {
    /** The longest id, as stored in the outbox and inbox tables' {@code VARCHAR} columns. */
    public static final int MAX_LENGTH = 100;

    public MessageId {
        Objects.requireNonNull(value, "message id must not be null");
        if (value.isEmpty() || value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("message id must be 1 to " + MAX_LENGTH + " characters, was "
                    + value.length());
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException("message id must be printable ASCII without spaces;"
                        + " character " + i + " is U+" + String.format("%04X", (int) c));
            }
        }
    }

    /** A new random id (a UUID). */
    public static MessageId random() {
        return new MessageId(UUID.randomUUID().toString());
    }

    /** The id as text, as sent to the broker. */
    @Override
    public String toString() {
        return value;
    }
}
