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
    private volatile boolean stopped;

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
