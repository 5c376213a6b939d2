package io.quorumtx.lock;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * When held leases are renewed, and when a holder whose renewals did not succeed in time is told
 * so. Whether a lease has ended is always the database's judgement; the watchdog only decides
 * when to ask for another lease length, and when the holder's certain validity runs short.
 *
 * <p>{@link #onDaemonThread} is the service's own: a timer thread that never does I/O, and
 * renewals run on other threads. So a renewal stuck in the database or in a pool's wait cannot
 * delay the loss notice that {@link #after} schedules — the notice is what tells the holder in
 * time. Tests put a hand-run watchdog in its place ({@code Builder.watchdog(Watchdog)}), so that
 * a renewal or a notice happens when the test says and not when a loaded machine gets round to it.
 */
interface Watchdog {

    /** One scheduled task. */
    interface Renewal {
        /** Stops it; a run already started finishes. */
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
        public Renewal after(Duration delay, Runnable task) {
            return NOT_SCHEDULED;
        }

        @Override
        public Renewal afterBlocking(Duration delay, Runnable task) {
            return NOT_SCHEDULED;
        }

        @Override
        public void stop() {
        }
    };

    /**
     * Runs {@code renew} every {@code period}, the first time one period from now, never two runs
     * of it at once, until cancelled or the watchdog stopped. It may block (it talks to the
     * database); the watchdog's other tasks go on meanwhile.
     */
    Renewal every(Duration period, Runnable renew);

    /** Runs {@code task} once after {@code delay}; it must not block (no I/O). */
    Renewal after(Duration delay, Runnable task);

    /** Runs {@code task} once after {@code delay} on a renewal thread: it may block (it talks to the database). */
    Renewal afterBlocking(Duration delay, Runnable task);

    /** Stops every renewal: the service is closing. */
    void stop();

    /**
     * A timer on one daemon thread, {@code quorumtx-lock-watchdog-<ownerId>}, and renewals on daemon
     * threads {@code quorumtx-lock-renew-<ownerId>} (at most one per held lock at a time).
     */
    static Watchdog onDaemonThread(String ownerId) {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> daemon(r,
                "quorumtx-lock-watchdog-" + ownerId));
        // Every grant schedules a renewal and a loss notice and cancels both at its release: drop them
        // from the queue then, instead of keeping every released grant's tasks until they fall due.
        timer.setRemoveOnCancelPolicy(true);
        ExecutorService renewers = Executors.newCachedThreadPool(r -> daemon(r, "quorumtx-lock-renew-" + ownerId));
        return new Watchdog() {
            @Override
            public Renewal every(Duration period, Runnable renew) {
                long millis = Math.max(1, period.toMillis());
                AtomicBoolean running = new AtomicBoolean();
                Runnable start = () -> {
                    if (running.compareAndSet(false, true)) { // the previous run still waits: skip this one
                        try {
                            renewers.execute(() -> {
                                try {
                                    renew.run();
                                } finally {
                                    running.set(false);
                                }
                            });
                        } catch (RejectedExecutionException closing) {
                            running.set(false);
                        }
                    }
                };
                try {
                    ScheduledFuture<?> f = timer.scheduleWithFixedDelay(start, millis, millis, TimeUnit.MILLISECONDS);
                    return () -> f.cancel(false);
                } catch (RejectedExecutionException closing) {
                    return NOT_SCHEDULED; // the service is closing; the lease simply runs out
                }
            }

            @Override
            public Renewal after(Duration delay, Runnable task) {
                try {
                    ScheduledFuture<?> f = timer.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
                    return () -> f.cancel(false);
                } catch (RejectedExecutionException closing) {
                    return NOT_SCHEDULED;
                }
            }

            @Override
            public Renewal afterBlocking(Duration delay, Runnable task) {
                return after(delay, () -> {
                    try {
                        renewers.execute(task);
                    } catch (RejectedExecutionException closing) {
                        // the service is closing: its close() does what the task would have done
                    }
                });
            }

            @Override
            public void stop() {
                timer.shutdownNow(); // never does I/O: safe to interrupt
                // Never interrupted: H2 closes its database file when a thread inside its file I/O
                // is interrupted, breaking the application's database. A renewal still running
                // finishes (or fails) on its own; nothing new starts.
                renewers.shutdown();
            }
        };
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
