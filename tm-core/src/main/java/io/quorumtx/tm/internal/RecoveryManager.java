package io.quorumtx.tm.internal;

import io.quorumtx.tm.protocol.HeuristicOutcome;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.recovery.OwnerLiveness;
import io.quorumtx.tm.recovery.Recovery;
import io.quorumtx.tm.recovery.ResolveReport;
import io.quorumtx.tm.xid.QuorumXid;
import io.quorumtx.tm.spi.RecoverableResource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import jakarta.transaction.SystemException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transaction manager's recovery manager: runs {@link Recovery} passes over the registered
 * resources on one daemon thread — once at start, again whenever a resource is registered (a
 * restarted application registers its DataSources after building the manager, and their
 * branches can only be found then), and every recovery interval — and on demand
 * ({@link #runPass()}).
 *
 * <p><b>Who may decide what.</b> Only this incarnation's own transactions that are still running,
 * being retried by phase 2, or whose commit record could not be confirmed may still be decided
 * here ({@link TransactionEngine#mayStillDecide}); recovery leaves them to the commit path, so
 * the two never drive the same branch at once. Transactions of an earlier incarnation of this
 * node (another boot epoch in the gtrid, begun before this one started) are decided at once:
 * their coordinator is gone, and the commit log they wrote to is the one this manager holds.
 * A transaction of another incarnation begun after this one started can only come from a second
 * manager running under the same node id (a configuration error, logged once per incarnation):
 * it gets the safety interval, like this incarnation's finished transactions, rather than being
 * rolled back under its coordinator. Other nodes' transactions are left alone; this manager
 * cannot know whether they are alive.
 *
 * <p><b>The enlistment gate.</b> A registered resource is not enlisted in a new transaction until
 * a pass of this manager has scanned it ({@link #awaitRecovered}; one set lookup on the hot path
 * afterwards). A pass records every branch of a logged commit it finishes (BRANCH_DONE) and its
 * END forced before it returns, so no new transaction runs on a database while it has resolved
 * a recovered branch that our log does not yet know is finished (see {@code Recovery}).
 *
 * <p><b>Which resources a pass scans.</b> Periodic passes and {@link #runPass()} scan every
 * registered resource. The pass queued when a resource is registered, and the one the gate runs,
 * scan only the resources no pass has recovered yet. That keeps the gate from waiting on a
 * database it does not need: with dialect-style resources a scan borrows a connection from the
 * application's pool, and the callers waiting at the gate for a newly registered database may
 * hold every connection of another, already recovered, one. (A pass over a subset writes END
 * only for commits whose branches all live on resources it scanned, see {@code Recovery}.)
 *
 * <p>Passes never overlap: a requested pass is coalesced with one already queued, and
 * {@link #runPass()} waits for a running one.
 */
public final class RecoveryManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RecoveryManager.class);

    private final TransactionEngine engine;
    private final CommitLog log;
    private final Duration safetyInterval;
    private final ScheduledThreadPoolExecutor thread;

    /** Which registered resources a pass scans (see the class comment). */
    private enum Scope {
        /** Every registered resource: periodic passes and {@link #runPass()}. */
        EVERY_RESOURCE,
        /** Only those no pass has recovered yet: the pass queued on registration and the enlistment gate's. */
        NOT_YET_RECOVERED
    }

    private final AtomicBoolean queued = new AtomicBoolean();
    /** The queued pass must scan every resource (else only those not yet recovered). */
    private final AtomicBoolean queuedFull = new AtomicBoolean();
    private final ReentrantLock passLock = new ReentrantLock();
    /** Registered resources a pass has scanned (and finished what it could, records forced) since start. */
    private final Set<String> recovered = ConcurrentHashMap.newKeySet();
    private final Duration gateTimeout;
    private final OwnerLiveness liveness;
    private final InDoubtTally inDoubt = new InDoubtTally();
    private volatile boolean closed;

    /**
     * @param interval time between periodic passes; zero for none (passes still run at start, on
     *     registration and on demand)
     */
    public RecoveryManager(TransactionEngine engine, CommitLog log, Duration interval, Duration safetyInterval) {
        this(engine, log, interval, safetyInterval, DEFAULT_GATE_TIMEOUT);
    }

    /** Bound on how long a first enlistment waits for its resource's recovery pass (see {@link #awaitRecovered}). */
    public static final Duration DEFAULT_GATE_TIMEOUT = Duration.ofSeconds(60);

    @SuppressWarnings("FutureReturnValueIgnored") // the schedule needs no handle: requestPass only wakes the pass thread, and close() shuts the executor down
    public RecoveryManager(TransactionEngine engine, CommitLog log, Duration interval, Duration safetyInterval,
            Duration gateTimeout) {
        this.gateTimeout = gateTimeout;
        this.engine = engine;
        this.log = log;
        this.safetyInterval = safetyInterval;
        this.liveness = new ThisNode(engine, log);
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
                new NamedDaemonThreads(engine.nodeId(), "recovery"));
        // On close the periodic request is dropped; a queued pass sees 'closed' and does nothing.
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        this.thread = executor;
        requestPassOfUnrecovered();
        if (!interval.isZero()) {
            long nanos = interval.toNanos();
            thread.scheduleWithFixedDelay(this::requestPass, nanos, nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Queues a pass over every registered resource on the recovery thread, unless one is queued already. */
    public void requestPass() {
        queuedFull.set(true);
        queue();
    }

    /**
     * Queues a pass over the registered resources no pass has recovered yet (a newly registered
     * one), unless a pass is queued already.
     */
    public void requestPassOfUnrecovered() {
        queue();
    }

    private void queue() {
        if (closed || !queued.compareAndSet(false, true)) {
            return;
        }
        try {
            thread.execute(() -> {
                try {
                    passLock.lock();
                    try {
                        if (queued.getAndSet(false) && !closed) { // else a runPass() in between did it
                            pass(queuedFull.getAndSet(false) ? Scope.EVERY_RESOURCE : Scope.NOT_YET_RECOVERED);
                        }
                    } finally {
                        passLock.unlock();
                    }
                } catch (RuntimeException | Error e) {
                    LOG.error("Recovery pass of node {} failed; the next pass tries again", engine.nodeId(), e);
                }
            });
        } catch (RejectedExecutionException closing) {
            queued.set(false);
        }
    }

    /**
     * Runs a pass now on the calling thread (after any pass already running) and reports it. A
     * pass requested before this one started and still queued is satisfied by it, so when this
     * returns no earlier request is pending.
     */
    public ResolveReport runPass() {
        passLock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("The transaction manager of node " + engine.nodeId()
                        + " is closed; recovery no longer runs in it");
            }
            queued.set(false);
            queuedFull.set(false);
            return pass(Scope.EVERY_RESOURCE);
        } finally {
            passLock.unlock();
        }
    }

    /** The hot-path check of the enlistment gate: one set lookup. */
    public boolean isRecovered(String resourceName) {
        return recovered.contains(resourceName);
    }

    /** A resource registered anew must be recovered anew before it is enlisted. */
    public void forget(String resourceName) {
        recovered.remove(resourceName);
        inDoubt.forget(resourceName);
    }

    /** What the passes found left in doubt, per resource (see {@link InDoubtTally}). */
    public InDoubtTally inDoubt() {
        return inDoubt;
    }

    /**
     * The enlistment gate. The first enlistment of a registered resource after the manager
     * started waits until a recovery pass has scanned that resource and finished (with its
     * BRANCH_DONE and END records forced) what it could. Why: between a database resolving a
     * recovered branch and our forced record of it, a new transaction on that database could
     * pick up the resolved branch's identity (H2 2.4.240 does: a reused transaction id comes back
     * after a crash listed under the resolved branch's Xid); if the log then still held the
     * COMMIT without knowing that branch was finished, recovery would commit never-prepared
     * work. No new transaction touches the database before the records are durable.
     *
     * <p>Runs a pass on the calling thread unless another thread's pass satisfies the wait
     * first; waits at most the gate timeout for a running pass.
     *
     * @throws SystemException if the resource could not be scanned (unreachable; the message
     *     says why) or the wait timed out; the enlistment must not proceed
     */
    public void awaitRecovered(String resourceName) throws SystemException {
        if (recovered.contains(resourceName)) {
            return;
        }
        boolean locked;
        try {
            locked = passLock.tryLock(gateTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw gateFailure(resourceName, "interrupted while waiting for the recovery pass");
        }
        if (!locked) {
            throw gateFailure(resourceName, "a recovery pass did not finish within " + gateTimeout);
        }
        String why;
        try {
            if (recovered.contains(resourceName)) {
                return; // another thread's pass did it while this one waited
            }
            if (closed) {
                throw gateFailure(resourceName, "the transaction manager is closed");
            }
            ResolveReport report;
            try {
                report = pass(Scope.NOT_YET_RECOVERED);
            } catch (RuntimeException e) {
                SystemException failure = gateFailure(resourceName, "the recovery pass failed: " + e);
                failure.initCause(e);
                throw failure;
            }
            if (recovered.contains(resourceName)) {
                return;
            }
            String unreachable = report.unreachableResources().get(resourceName);
            why = unreachable != null ? "it could not be reached: " + unreachable
                    : "it is no longer registered for recovery";
        } finally {
            passLock.unlock();
        }
        throw gateFailure(resourceName, why);
    }

    private SystemException gateFailure(String resourceName, String why) {
        return new SystemException("Cannot enlist resource '" + resourceName + "' yet: the transaction manager of node "
                + engine.nodeId() + " must first finish recovery of that database (branches left in doubt by an earlier"
                + " run) before new transactions use it, and " + why + ". Make the database reachable and retry;"
                + " nothing was enlisted");
    }

    /** One pass over the resources of {@code scope}, told to the observers; the caller holds passLock. */
    private ResolveReport pass(Scope scope) {
        io.quorumtx.tm.spi.TransactionObserver observers = engine.observers();
        if (observers == null) {
            return passUnobserved(scope);
        }
        observers.recoveryPassStarted();
        long start = System.nanoTime();
        ResolveReport report = null;
        try {
            report = passUnobserved(scope);
            return report;
        } finally {
            observers.recoveryPassFinished(InDoubtTally.summary(report, System.nanoTime() - start));
        }
    }

    private ResolveReport passUnobserved(Scope scope) {
        engine.settleUnconfirmed();
        List<RecoverableResource> resources = engine.resources();
        if (scope == Scope.NOT_YET_RECOVERED) {
            resources = resources.stream().filter(r -> !recovered.contains(r.resourceName())).toList();
            if (resources.isEmpty()) {
                return new ResolveReport(false, List.of(), List.of(), Map.of(), List.of(), List.of(), 0, 0);
            }
        }
        Recovery recovery = new Recovery(log, resources, liveness, safetyInterval).withMarkerTargets(engine.resources());
        ResolveReport report = recovery.resolve();
        // Only after resolve returned: every branch it finished is recorded, forced.
        for (RecoverableResource r : resources) {
            if (!report.unreachableResources().containsKey(r.resourceName())) {
                recovered.add(r.resourceName());
            }
        }
        for (HeuristicOutcome h : report.heuristics()) {
            engine.recordHeuristic(h);
        }
        inDoubt.update(resources, report);
        boolean acted = !report.endsWritten().isEmpty()
                || report.steps().stream().anyMatch(s -> s.outcome() != ResolveReport.Outcome.LEFT);
        if (acted) {
            LOG.info("Recovery pass of node {}: {}", engine.nodeId(), report.summary());
        } else if (LOG.isDebugEnabled()) {
            LOG.debug("Recovery pass of node {}: {}", engine.nodeId(), report.summary()); // nothing changed
        }
        return report;
    }

    /**
     * Stops the recovery thread, waiting briefly for a background pass to end, and then for a
     * {@link #runPass()} another thread may be running, so the commit log is not closed under a
     * pass. Idempotent.
     *
     * <p>Never interrupts a running pass: it is inside the databases' XA calls (recover, commit,
     * rollback), and H2 closes its database file when a thread in its file I/O is interrupted,
     * breaking the application's database for everyone.
     */
    @Override
    @SuppressWarnings("LockNotBeforeTry") // lock() then unlock() at once: a barrier, nothing in between can throw
    public void close() {
        closed = true;
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("A recovery pass of node {} is still running 10 s after close began; it was not interrupted"
                        + " (a database call may be in progress) and the commit log closes under it", engine.nodeId());
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        passLock.lock(); // no pass runs now, and none can start: runPass checks 'closed' under this lock
        passLock.unlock(); // nothing between: the lock is a barrier here, not a critical section
    }

    /** Liveness as this manager knows it (see the class comment). */
    private static final class ThisNode implements OwnerLiveness {
        private final TransactionEngine engine;
        private final CommitLog log;
        private final Set<String> twinsReported = ConcurrentHashMap.newKeySet();

        ThisNode(TransactionEngine engine, CommitLog log) {
            this.engine = engine;
            this.log = log;
        }

        @Override
        public boolean mayStillDecide(String ownerNode, String gtrid) {
            if (!ownerNode.equals(engine.nodeId())) {
                return !log.isOwnerLeaseLapsed(ownerNode); // the replicated log knows when another node is gone
            }
            return engine.issued(gtrid) && engine.mayStillDecide(gtrid);
        }

        @Override
        public boolean isGone(String ownerNode, String gtrid) {
            if (!ownerNode.equals(engine.nodeId())) {
                return log.isOwnerLeaseLapsed(ownerNode);
            }
            if (engine.issued(gtrid)) {
                return false;
            }
            if (QuorumXid.beginMillis(gtrid) <= engine.bootMillis()) {
                return true;
            }
            String epoch = QuorumXid.epoch(gtrid);
            if (twinsReported.add(epoch)) {
                LOG.error("Found transaction {} of node {}, begun after this manager started but by another incarnation"
                        + " ({}): another transaction manager is running with node id {}. Give every manager its own"
                        + " node id; until then its undecided branches are only rolled back after the safety interval",
                        gtrid, ownerNode, epoch, ownerNode);
            }
            return false;
        }

        @Override
        public String whyItMayStillDecide(String ownerNode, String gtrid) {
            if (!ownerNode.equals(engine.nodeId())) {
                return "owned by node " + ownerNode + ", which may be alive (this manager is node " + engine.nodeId()
                        + "; use the recovery tool with that node's log to decide it)";
            }
            return "its coordinator (this manager) is still running, retrying or confirming it";
        }
    }
}
