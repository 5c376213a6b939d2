package io.quorumtx.tm.protocol;

import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitLogException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes branches whose decided outcome could not be delivered on the committing thread.
 *
 * <p>A decided commit never fails because a participant was briefly unreachable: the decision is
 * durable, so the branch is handed here and the application's {@code commit()} returns. One
 * scheduled daemon thread per manager retries each transaction with exponential back-off
 * ({@link RetrySchedule}). When every branch of a committed transaction is finished, the END
 * record is written.
 *
 * <p><b>How a retry asks.</b> The first retry reuses the XAResource the branch was started on (the
 * application's connection may still hold the branch). Every later one, and the first one too
 * when the resource answered something that is not a transient XA code, goes through a fresh
 * connection of the {@link RecoverableResource} registered under the branch's name and first asks
 * the resource itself, with {@code recover(TMSTARTRSCAN|TMENDRSCAN)}, whether the branch is still
 * prepared there; only if it is listed is it committed (or rolled back), on that same connection
 * (H2's XAResource acts on a recovered branch only through the connection that listed it). A
 * branch the resource no longer lists is finished: an earlier attempt committed it before its
 * reply was lost (or, for a rollback, it is rolled back). This is what keeps a driver that
 * answers "unknown branch" with a non-standard code (H2 2.4 throws code 0 rather than XAER_NOTA)
 * from being retried for ever, without trusting any such code. It never turns a commit into a
 * rollback: this class only ever applies the decision it was given. A resource that cannot be
 * reached, or whose {@code recover()} fails, is never concluded finished: it is retried.
 *
 * <p><b>The bound.</b> After {@link RetrySchedule#maxAttempts()} retries that left a branch
 * unfinished, the retrier stops holding the transaction and hands it to the recovery manager:
 * its COMMIT is in the log (or, for a rollback, presumed abort applies), so every recovery pass
 * re-drives it with the same rules and writes END once its branches are finished. That frees the
 * retrier and makes a long outage visible in the recovery reports rather than an endless loop.
 *
 * <p>While a transaction is queued here its manager's recovery passes leave its branches alone
 * ({@link #isRetrying}), so the two never drive the same branch at once. On close, what is still
 * pending is left to recovery likewise.
 */
final class Phase2Retrier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Phase2Retrier.class);

    private final ScheduledThreadPoolExecutor scheduler;
    private final CommitLog log;
    private final BranchCompletion completion;
    private final Function<String, RecoverableResource> resources;
    private final long initialDelayNanos;
    private final long maxDelayNanos;
    private final int maxAttempts;
    private final AtomicInteger pending = new AtomicInteger();
    private final Set<String> retrying = ConcurrentHashMap.newKeySet();

    Phase2Retrier(ThreadFactory threads, CommitLog log, BranchCompletion completion,
            Function<String, RecoverableResource> resources, RetrySchedule schedule) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, threads);
        // On close, waiting retries are dropped (recovery finishes them) and a running one finishes.
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.setRemoveOnCancelPolicy(true);
        this.scheduler = executor;
        this.log = log;
        this.completion = completion;
        this.resources = resources;
        this.initialDelayNanos = schedule.initialDelay().toNanos();
        this.maxDelayNanos = schedule.maxDelay().toNanos();
        this.maxAttempts = schedule.maxAttempts();
    }

    /** Queues {@code branches} of the logged COMMIT of {@code gtrid} for retry; END follows once all committed. */
    void retryCommit(String gtrid, List<Participant> branches) {
        submit(gtrid, true, branches);
    }

    /** Queues {@code branches} of {@code gtrid} for a retried rollback (presumed abort: no END to write). */
    void retryRollback(String gtrid, List<Participant> branches) {
        submit(gtrid, false, branches);
    }

    private void submit(String gtrid, boolean commit, List<Participant> branches) {
        pending.incrementAndGet();
        retrying.add(gtrid); // before the transaction completes, so recovery never sees a gap (see holds)
        schedule(new Task(gtrid, commit, new ArrayList<>(branches)), initialDelayNanos);
    }

    /** Transactions that still have branches waiting for a retry. */
    public int pendingTransactions() {
        return pending.get();
    }

    /** True while branches of {@code gtrid} wait for a retry (recovery leaves them to this retrier). */
    boolean isRetrying(String gtrid) {
        return retrying.contains(gtrid);
    }

    @Override
    public void close() {
        // Never interrupted: a retry may be inside a database's I/O, and H2 closes its database
        // file when a thread in its file I/O is interrupted. Waiting retries are dropped (the
        // policy set in the constructor); a running one finishes, or reschedules itself in vain.
        int left = scheduler.getQueue().size();
        scheduler.shutdown();
        if (left > 0) {
            LOG.warn("{} transaction(s) still have branches to finish; recovery will finish them", left);
        }
    }

    @SuppressWarnings("FutureReturnValueIgnored") // a Task catches and logs its own failures and reschedules itself; close() shuts the scheduler down
    private void schedule(Task task, long delayNanos) {
        try {
            scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            LOG.warn("Transaction manager closed: branches {} of transaction {} are left to recovery",
                    task.remaining, task.gtrid);
        }
    }

    private void release(String gtrid) {
        pending.decrementAndGet();
        retrying.remove(gtrid);
    }

    private final class Task implements Runnable {
        final String gtrid;
        /** Towards commit (END is written once every branch is committed), or rollback (presumed abort: no END). */
        final boolean commit;
        final List<Participant> remaining;
        final long startNanos = System.nanoTime();
        /** A branch was finished through a recovery connection: the END must then be forced. */
        boolean viaRecovery;
        int attempt;
        long delayNanos = initialDelayNanos;

        Task(String gtrid, boolean commit, List<Participant> remaining) {
            this.gtrid = gtrid;
            this.commit = commit;
            this.remaining = remaining;
        }

        @Override
        public void run() {
            attempt++;
            try {
                remaining.removeIf(this::retryOnce);
            } catch (RuntimeException logFailure) {
                // A BRANCH_DONE could not be forced: keep the transaction (and its hold on recovery) and retry.
                LOG.warn("Transaction {}: could not record a finished branch in the commit log; retrying", gtrid,
                        logFailure);
            }
            if (remaining.isEmpty()) {
                if (commit) {
                    try {
                        if (viaRecovery) {
                            log.logEndForced(gtrid); // see throughRecoveryConnection
                        } else {
                            log.logEnd(gtrid);
                        }
                    } catch (RuntimeException e) {
                        LOG.warn("Could not write END for {}; recovery will re-drive its finished commit", gtrid, e);
                    }
                }
                release(gtrid);
                LOG.info("Transaction {}: every branch {} after {} retr{}", gtrid,
                        commit ? "committed" : "rolled back", attempt, attempt == 1 ? "y" : "ies");
                return;
            }
            if (attempt >= maxAttempts) {
                handOver();
                return;
            }
            delayNanos = Math.min(maxDelayNanos, delayNanos * 2);
            LOG.warn("Transaction {}: branches {} still not {} after {} of at most {} retries; next try in {} ms", gtrid,
                    remaining, outcome(), attempt, maxAttempts, TimeUnit.NANOSECONDS.toMillis(delayNanos));
            schedule(this, delayNanos);
        }

        /** The bound is reached: stop holding the transaction, so recovery passes re-drive it (see the class comment). */
        private void handOver() {
            List<String> unregistered = remaining.stream().map(Participant::resourceName)
                    .filter(name -> resources.apply(name) == null).distinct().toList();
            release(gtrid);
            LOG.warn("Transaction {}: branches {} still not {} after {} retries over {} ms; the phase-2 retrier stops"
                    + " and hands the transaction to the recovery manager: each recovery pass {}{}", gtrid,
                    remaining, outcome(), attempt, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
                    commit ? "re-drives its logged COMMIT, and writes END once every branch is committed"
                            : "rolls its branches back (presumed abort) once they are older than the safety interval",
                    unregistered.isEmpty() ? "" : ". Resource(s) " + unregistered + " are not registered for recovery:"
                            + " register them with registerResource, or finish the branches with the recovery tool");
        }

        /**
         * Records, forced, that a branch of a logged commit finished through a recovery connection.
         * A database may act on a recovered branch by name and list it again later (H2 2.4.240 does,
         * for a never-prepared transaction that reused its id): while the COMMIT is held, recovery
         * would commit that impostor. With this record recovery rolls it back (see
         * {@code Recovery}); the END that follows is forced for the same reason.
         */
        private void branchDone(Participant p) {
            if (!commit) {
                return; // a rollback: no COMMIT to guard
            }
            viaRecovery = true;
            log.logBranchDone(p.xid().gtrid(), new BranchRecord(p.resourceName(), p.xid().branchQualifier()));
        }

        private XaCall call() {
            return commit ? XaCall.PHASE2_COMMIT_RETRY : XaCall.ROLLBACK;
        }

        private String outcome() {
            return commit ? "committed" : "rolled back";
        }

        /** One attempt at one branch; true when the branch is finished (as decided, or heuristically). */
        private boolean retryOnce(Participant p) {
            RecoverableResource recoverable = resources.apply(p.resourceName());
            if (attempt > 1 && recoverable != null) {
                return throughRecoveryConnection(p, recoverable);
            }
            BranchCompletion.Result result = completion.complete(p.resource(), p, call());
            if (result == BranchCompletion.Result.UNCERTAIN) {
                if (recoverable != null) {
                    return throughRecoveryConnection(p, recoverable);
                }
                LOG.warn("Transaction {}: cannot ask resource {} whether branch {} is still prepared, because no"
                        + " RecoverableResource is registered under that name; retrying it as it is", gtrid,
                        p.resourceName(), p.xid());
                return false;
            }
            return result != BranchCompletion.Result.RETRY;
        }

        /**
         * Asks the resource through a fresh connection whether the branch is still prepared and, if
         * so, completes it on that connection. Anything that keeps the question from being
         * answered leaves the branch unfinished.
         */
        private boolean throughRecoveryConnection(Participant p, RecoverableResource recoverable) {
            RecoverableResource.RecoveryConnection connection = null;
            try {
                connection = recoverable.openRecoveryConnection();
                XAResource xa = connection.xaResource();
                Xid[] listed = xa.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN);
                if (listed == null) {
                    LOG.warn("Resource {} answered recover() with null, so whether branch {} is still prepared is"
                            + " unknown; it will be retried", p.resourceName(), p.xid());
                    return false;
                }
                if (!contains(listed, p.xid())) {
                    branchDone(p);
                    LOG.info("Transaction {}: resource {} no longer lists branch {} as prepared, so it is finished ({})",
                            gtrid, p.resourceName(), p.xid(), commit
                                    ? "an earlier commit attempt committed it before its answer was lost"
                                    : "rolled back");
                    return true;
                }
                BranchCompletion.Result result = completion.complete(xa, p, call());
                boolean finished = result != BranchCompletion.Result.RETRY && result != BranchCompletion.Result.UNCERTAIN;
                if (finished) {
                    branchDone(p);
                }
                return finished;
            } catch (CommitLogException e) {
                throw e;
            } catch (XAException | RuntimeException e) {
                LOG.warn("Could not ask resource {} whether branch {} is still prepared, or finish it: {}; it will be"
                        + " retried", p.resourceName(), p.xid(), XaCodes.describe(e));
                return false;
            } finally {
                if (connection != null) {
                    try {
                        connection.close();
                    } catch (RuntimeException e) {
                        LOG.debug("Closing recovery connection of {} failed", p.resourceName(), e);
                    }
                }
            }
        }
    }

    private static boolean contains(Xid[] listed, Xid xid) {
        for (Xid candidate : listed) {
            if (candidate != null && candidate.getFormatId() == xid.getFormatId()
                    && Arrays.equals(candidate.getGlobalTransactionId(), xid.getGlobalTransactionId())
                    && Arrays.equals(candidate.getBranchQualifier(), xid.getBranchQualifier())) {
                return true;
            }
        }
        return false;
    }
}
