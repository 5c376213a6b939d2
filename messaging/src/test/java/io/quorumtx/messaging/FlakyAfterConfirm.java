package io.quorumtx.messaging;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A relay that dies between the broker's confirm and the outbox delete, without killing a process:
 * the first {@code failures} batches are published by the real publisher (the broker confirmed
 * them) and then reported as failed, so the relay keeps them and publishes them again.
 */
final class FlakyAfterConfirm implements MessagePublisher {
    private final MessagePublisher delegate;
    private final AtomicInteger failuresLeft;

    FlakyAfterConfirm(MessagePublisher delegate, int failures) {
        this.delegate = delegate;
        this.failuresLeft = new AtomicInteger(failures);
    }

    @Override
    public void publish(List<OutboxMessage> batch) throws PublishException {
        delegate.publish(batch);
        if (failuresLeft.getAndDecrement() > 0) {
            throw PublishException.transientFailure("died after the broker's confirm (test)", null);
        }
    }

    @Override
    public void close() {
        delegate.close();
    }
}
