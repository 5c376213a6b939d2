package io.quorumtx.messaging;

import java.util.Map;
import java.util.Set;

/**
 * A batch, or part of it, was not confirmed by the broker. Two kinds of failure, told apart
 * because the relay treats them differently:
 *
 * <ul>
 *   <li><b>transient</b> (the broker is unreachable, a confirm timed out, the channel closed):
 *       every message not in {@link #confirmed()} stays in the outbox and is retried after a
 *       bounded exponential back-off, however long the outage lasts;</li>
 *   <li><b>refused</b> ({@link #refused()}: the broker returned the message as unroutable or
 *       nacked it, the stream does not exist): the message's attempt count grows, and after the
 *       relay's {@code maxAttempts} it is parked in the dead-letter table so that it does not
 *       block its key forever.</li>
 * </ul>
 *
 * Messages in {@link #confirmed()} did reach the broker; the relay deletes them as after a
 * successful batch.
 */
public final class PublishException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Set<MessageId> confirmed;
    private final transient Map<MessageId, String> refused;

    /**
     * @param message what went wrong, for the log
     * @param confirmed the messages of the batch the broker confirmed nevertheless
     * @param refused the messages the broker refused for good, each with the broker's reason
     * @param cause the client's exception, or null
     */
    public PublishException(String message, Set<MessageId> confirmed, Map<MessageId, String> refused,
            Throwable cause) {
        super(message, cause);
        this.confirmed = Set.copyOf(confirmed);
        this.refused = Map.copyOf(refused);
    }

    /** A transient failure of the whole batch: nothing confirmed, nothing refused for good. */
    public static PublishException transientFailure(String message, Throwable cause) {
        return new PublishException(message, Set.of(), Map.of(), cause);
    }

    /** The messages the broker confirmed although the batch failed. */
    public Set<MessageId> confirmed() {
        return confirmed;
    }

    /** The messages the broker refused for good, with its reason. */
    public Map<MessageId, String> refused() {
        return refused;
    }
}
