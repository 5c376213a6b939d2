package io.quorumtx.it.messaging;

import java.util.List;
import java.util.concurrent.TimeUnit;

import io.quorumtx.messaging.MessagePublisher;
import io.quorumtx.messaging.OutboxMessage;
import io.quorumtx.messaging.PublishException;

/**
 * A relay's publisher that stops dead at a named point of the n-th batch, so the parent can
 * SIGKILL the JVM exactly there: it prints {@code AT <point> <published> <batch>} and parks. The
 * relay's thread is then stuck inside {@code publish}, so nothing after the point (the delete of
 * the confirmed rows) can run before the kill, whatever the relay does around the call.
 */
final class CrashingPublisher implements MessagePublisher {
    /** Where a relay is killed. */
    enum Point {
        /** Nowhere: the parent kills it at a moment of its own choosing, or not at all. */
        NONE,
        /** The whole batch is confirmed by the broker; the relay has not deleted its rows. */
        AFTER_CONFIRM,
        /** The first half of the batch is confirmed by the broker, the rest never sent. */
        MID_BATCH
    }

    private final MessagePublisher delegate;
    private final Point point;
    private final int hit;
    private int batches; // the relay calls publish from one thread at a time

    CrashingPublisher(MessagePublisher delegate, Point point, int hit) {
        this.delegate = delegate;
        this.point = point;
        this.hit = hit;
    }

    @Override
    public void publish(List<OutboxMessage> batch) throws PublishException {
        if (point == Point.NONE || batch.isEmpty()) {
            delegate.publish(batch);
            return;
        }
        // MID_BATCH needs two messages to have a middle; smaller batches do not count as hits.
        if (point == Point.MID_BATCH && batch.size() < 2) {
            delegate.publish(batch);
            return;
        }
        batches++;
        if (batches != hit) {
            delegate.publish(batch);
            return;
        }
        List<OutboxMessage> published = point == Point.AFTER_CONFIRM ? batch : batch.subList(0, batch.size() / 2);
        delegate.publish(published);
        System.out.println("AT " + point + " " + published.size() + " " + batch.size());
        System.out.flush();
        // Wait for the SIGKILL; if the parent is gone, die anyway rather than linger.
        try {
            TimeUnit.SECONDS.sleep(120);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Runtime.getRuntime().halt(3);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
