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
 * delete interval), renews this incarnation's lease (every third of a lease), deletes ABORT rows of
 * fenced incarnations, and asks for a recovery pass when some incarnation's lease has lapsed, so
 * a dead node's transactions are taken over without waiting for the periodic pass.
 */
final class Maintenance implements AutoCloseable {
    static final Logger LOG = LoggerFactory.getLogger(DatabaseCommitLog.class);
    private static final int DELETES_PER_ROUND = 1000;

    private final DatabaseCommitLog log;
    private final Duration lease;
    private final ScheduledExecutorService thread;
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
            log.finished().deleteEnded(DELETES_PER_ROUND);
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

    /** Runs one round now on the calling thread's behalf (tests): waits for it. */
    void runRoundNow() throws InterruptedException, java.util.concurrent.ExecutionException {
        lastAbortCleanup = 0;
        thread.submit(this::round).get();
    }

    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
