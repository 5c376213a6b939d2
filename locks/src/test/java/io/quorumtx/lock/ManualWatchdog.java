package io.quorumtx.lock;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A watchdog the test runs by hand: renewals happen when the test calls {@link #renewNow()}, not
 * when a timer fires, so a test of renewal does not depend on a thread being scheduled in time.
 */
final class ManualWatchdog implements Watchdog {

    private static final class Scheduled implements Renewal {
        final Duration period;
        final Runnable renew;
        volatile boolean cancelled;

        Scheduled(Duration period, Runnable renew) {
            this.period = period;
            this.renew = renew;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    private final List<Scheduled> scheduled = new CopyOnWriteArrayList<>();
    private final List<OneShot> oneShots = new CopyOnWriteArrayList<>();
    private final Ticker ticker;
    private volatile boolean stopped;

    /** One-shot tasks fall due by the system's monotonic clock. */
    ManualWatchdog() {
        this(Ticker.SYSTEM);
    }

    /** One-shot tasks fall due by {@code ticker} (the one the service under test measures validity by). */
    ManualWatchdog(Ticker ticker) {
        this.ticker = ticker;
    }

    private static final class OneShot implements Renewal {
        final long due;
        final Runnable task;
        volatile boolean cancelled;

        OneShot(long due, Runnable task) {
            this.due = due;
            this.task = task;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    @Override
    public Renewal after(Duration delay, Runnable task) {
        if (stopped) {
            return NOT_SCHEDULED;
        }
        OneShot o = new OneShot(ticker.nanoTime() + delay.toNanos(), task);
        oneShots.add(o);
        return o;
    }

    /** As {@link #after}: the test runs it with {@link #runDue()}. */
    @Override
    public Renewal afterBlocking(Duration delay, Runnable task) {
        return after(delay, task);
    }

    /** Runs, in the calling thread, every one-shot task due by the ticker's now and not cancelled. */
    void runDue() {
        List<OneShot> due = new java.util.ArrayList<>();
        for (OneShot o : oneShots) {
            if (!o.cancelled && o.due <= ticker.nanoTime()) {
                due.add(o);
            }
        }
        oneShots.removeAll(due); // removed before they run: a task may schedule the next one-shot
        due.forEach(o -> o.task.run());
    }

    @Override
    public Renewal every(Duration period, Runnable renew) {
        if (stopped) {
            return NOT_SCHEDULED;
        }
        Scheduled s = new Scheduled(period, renew);
        scheduled.add(s);
        return s;
    }

    @Override
    public void stop() {
        stopped = true;
        scheduled.forEach(Scheduled::cancel);
        oneShots.forEach(OneShot::cancel);
    }

    /** Runs every renewal that is still scheduled, once, in the calling thread. */
    void renewNow() {
        for (Scheduled s : scheduled) {
            if (!s.cancelled) {
                s.renew.run();
            }
        }
    }

    /** The periods of the renewals still scheduled. */
    List<Duration> periods() {
        return scheduled.stream().filter(s -> !s.cancelled).map(s -> s.period).toList();
    }
}
