package io.quorumtx.messaging;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One committed message as the relay reads it from the outbox and hands it to a
 * {@link MessagePublisher}.
 *
 * @param id the stable id the message keeps across re-publications (de-duplication key)
 * @param destination where it goes; each publisher documents how it maps this (RabbitMQ:
 *     {@code exchange/routingKey}; JetStream: the subject)
 * @param key the ordering key: messages of one key are published in {@code keySeq} order
 * @param keySeq the message's position among its key's messages: 1, 2, 3, … in the order their
 *     transactions committed (no gaps unless a message was parked as dead)
 * @param payload the body, as given to {@link Outbox#send} (not copied: do not modify it)
 * @param headers application headers (never null; unmodifiable)
 * @param createdAt when {@link Outbox#send} wrote it, by the sender's clock
 */
@SuppressWarnings("ArrayRecordComponent") // equals and hashCode below compare the payload's contents
public record OutboxMessage(MessageId id, String destination, String key, long keySeq, byte[] payload,
        Map<String, String> headers, Instant createdAt) {

    public OutboxMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(payload, "payload");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /** The header a publisher sets to the message's key, for consumers that check order. */
    public static final String KEY_HEADER = "qtx-key";
    /** The header a publisher sets to {@link #keySeq()}, for consumers that check order. */
    public static final String KEY_SEQ_HEADER = "qtx-key-seq";

    @Override
    public String toString() {
        return "OutboxMessage[" + id + " to " + destination + ", key " + key + " #" + keySeq + ", "
                + payload.length + " bytes]";
    }

    // A record's equals would compare the payload arrays by identity: compare their contents.
    @Override
    public boolean equals(Object o) {
        return o instanceof OutboxMessage m && id.equals(m.id) && destination.equals(m.destination)
                && key.equals(m.key) && keySeq == m.keySeq && java.util.Arrays.equals(payload, m.payload)
                && headers.equals(m.headers) && createdAt.equals(m.createdAt);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }
}
