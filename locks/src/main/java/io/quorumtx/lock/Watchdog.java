package io.quorumtx.lock;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * When held leases are renewed: the only part of the lock service driven by the client's time.
 * Whether a lease has ended is always the database's judgement; the watchdog only decides when
 * to ask for another lease length. {@link #onDaemonThread} is the service's own (one daemon
 * thread per service, each renewal with a fixed delay after the previous one, so a slow
 * renewal postpones the next instead of piling up behind it); tests put a hand-run watchdog
 * in its place ({@code Builder.watchdog(Watchdog)}), so that a renewal happens when the test
 * says and not when a loaded machine gets round to it.
 */
interface Watchdog {

    /** One scheduled renewal. */
    interface Renewal {
        /** Stops it; a renewal already running finishes. */
        void cancel();
    }

    /** Nothing scheduled, nothing to cancel. */
    Renewal NOT_SCHEDULED = () -> { };

    /** No renewals at all ({@code watchdog(false)}): leases end unless renewed by hand. */
    Watchdog OFF = new Watchdog() {
        @Override
        public Renewal every(Duration period, Runnable renew) {
            return NOT_SCHEDULED;
        }

        @Override
        public void stop() {
        }
    };

    /**
     * Runs {@code renew} every {@code period}, the first time one period from now, until the
     * returned renewal is cancelled or the watchdog stopped. After {@link #stop()} nothing is
     * scheduled any more (the lease simply runs out).
     */
    Renewal every(Duration period, Runnable renew);

    /** Stops every renewal: the service is closing. */
    void stop();

    /** Renewals on one daemon thread named {@code quorumtx-lock-watchdog-<ownerId>}. */
    static Watchdog onDaemonThread(String ownerId) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "quorumtx-lock-watchdog-" + ownerId);
            t.setDaemon(true);
            return t;
        });
        return new Watchdog() {
            @Override
            public Renewal every(Duration period, Runnable renew) {
                long millis = period.toMillis();
                try {
                    ScheduledFuture<?> f = executor.scheduleWithFixedDelay(renew, millis, millis, TimeUnit.MILLISECONDS);
                    return () -> f.cancel(false);
                } catch (RejectedExecutionException closing) {
                    return NOT_SCHEDULED; // the service is closing; the lease simply runs out
                }
            }

            @Override
            public void stop() {
                executor.shutdownNow();
            }
        };
    }
}
