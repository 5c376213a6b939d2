package io.quorumtx.jdbc.dblog;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log's one background thread: deletes the rows of finished transactions in batches (every
 * delete interval, adaptively, see {@link #deleteEnded}), renews this incarnation's lease (every third of a lease), deletes ABORT rows of
 * fenced incarnations, and asks for a recovery pass when some incarnation's lease has lapsed, so
 * a dead node's transactions are taken over without waiting for the periodic pass.
 */
final class Maintenance implements AutoCloseable {
    static final Logger LOG = LoggerFactory.getLogger(DatabaseCommitLog.class);
    /** ENDs per delete statement and transaction (short row locks, a bounded IN list). */
    static final int BATCH = 1000;
    /** Fewer ENDs queued than this: wait a few rounds for more, so a quiet node does not pay a round trip for each. */
    static final int SMALL_BACKLOG = 100;
    /** ...but never more rounds than this. */
    static final int MAX_ROUNDS_WAITING = 4;

    private final DatabaseCommitLog log;
    private final Duration lease;
    private final ScheduledExecutorService thread;
    /** Time one round may spend deleting: half the round interval, so the deleter holds a pooled connection at most half the time. */
    private final long deleteBudgetNanos;
    private int roundsWaiting;
    private volatile Runnable takeover;
    private volatile boolean renewalPaused;
    private long lastRenewal;
    private long lastAbortCleanup;
    private int lapsedSeen;
    private boolean fencedReported;

    @SuppressWarnings("FutureReturnValueIgnored") // the schedule ends when close() shuts the executor down
    Maintenance(DatabaseCommitLog log, String nodeId, Duration lease, Duration deleteInterval) {
        this.log = log;
        this.lease = lease;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "quorumtx-" + nodeId + "-dblog-maintenance");
            t.setDaemon(true);
            return t;
        });
        long every = Math.min(deleteInterval.toMillis(), lease.toMillis() / 3);
        this.deleteBudgetNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, every / 2));
        thread.scheduleWithFixedDelay(this::round, every, every, TimeUnit.MILLISECONDS);
    }

    void onTakeoverNeeded(Runnable trigger) {
        this.takeover = trigger;
    }

    /** For tests: stop renewing the lease, as a paused process would. */
    void pauseRenewal() {
        renewalPaused = true;
    }

    private void round() {
        try {
            deleteEnded();
            long now = System.nanoTime();
            if (!renewalPaused && now - lastRenewal >= TimeUnit.MILLISECONDS.toNanos(lease.toMillis() / 3)) {
                lastRenewal = now;
                if (!log.renewLease() && !fencedReported) {
                    fencedReported = true;
                    LOG.error("Incarnation {} is fenced: another node took over its transactions after its lease"
                            + " lapsed; its two-phase commits without the log's database now fail (nothing is"
                            + " lost). Restart the transaction manager", log.incarnation());
                }
                int lapsed = log.incarnations().countLapsedUnfenced();
                Runnable trigger = takeover;
                if (lapsed > lapsedSeen && trigger != null) {
                    trigger.run();
                }
                lapsedSeen = lapsed;
            }
            if (now - lastAbortCleanup >= TimeUnit.MILLISECONDS.toNanos(lease.toMillis())) {
                lastAbortCleanup = now;
                log.finished().deleteFencedAborts(lease);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("A maintenance round of the database commit log failed; the next round tries again", e);
        }
    }

    /**
     * Deletes the rows of ended transactions: batch after batch while the last one was full (a
     * backlog) and the round's time budget lasts, so a burst larger than one batch drains at the
     * rate the database deletes instead of one batch per round, while the commit path keeps the
     * pool (and the database) at least half of the time. With fewer than {@link #SMALL_BACKLOG}
     * queued it waits up to {@link #MAX_ROUNDS_WAITING} rounds for more (fewer round trips when
     * quiet; the rows stay that much longer). Returns how many ENDs it applied.
     */
    int deleteEnded() throws SQLException {
        FinishedRows finished = log.finished();
        int queued = finished.queued();
        if (queued == 0) {
            roundsWaiting = 0;
            return 0;
        }
        if (queued < SMALL_BACKLOG && roundsWaiting < MAX_ROUNDS_WAITING) {
            roundsWaiting++;
            return 0;
        }
        roundsWaiting = 0;
        long start = System.nanoTime();
        int total = 0;
        int n;
        do {
            n = finished.deleteEnded(BATCH);
            total += n;
        } while (n == BATCH && System.nanoTime() - start < deleteBudgetNanos);
        if (n == BATCH) {
            LOG.debug("Deleted {} finished rows in {} ms, the round's budget; {} more wait for the next round", total,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), finished.queued());
        }
        return total;
    }

    /** Runs only the deleter's part of a round now, on the maintenance thread (tests): returns how many ENDs it applied. */
    int runDeleteNow() throws InterruptedException, java.util.concurrent.ExecutionException {
        return thread.submit(this::deleteEnded).get();
    }

    /** Runs one round now on the calling thread's behalf (tests): waits for it. */
    void runRoundNow() throws InterruptedException, java.util.concurrent.ExecutionException {
        thread.submit(() -> {
            lastAbortCleanup = 0;
            roundsWaiting = MAX_ROUNDS_WAITING; // a test's round deletes whatever is queued
            round();
        }).get();
    }

    /** How long close() waits for a running round (tests shorten it). */
    private volatile Duration closeWait = Duration.ofSeconds(10);

    /** For tests: how long close() waits for a running round. */
    void closeWait(Duration wait) {
        this.closeWait = wait;
    }

    /**
     * Ends the schedule and waits up to 10 s for a running round. Never interrupts it: the round
     * is in the log database's JDBC calls, and H2 closes its database file when a thread in its
     * file I/O is interrupted (the log often lives in the application's database).
     */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(closeWait.toNanos(), TimeUnit.NANOSECONDS)) {
                LOG.warn("A maintenance round of the database commit log is still running {} after close began; it was"
                        + " not interrupted (a database call may be in progress)", closeWait);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
