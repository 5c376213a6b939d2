package io.quorumtx.tm;

import io.quorumtx.tm.internal.NamedDaemonThreads;
import io.quorumtx.tm.internal.QuorumTransaction;
import io.quorumtx.tm.internal.RecoveryManager;
import io.quorumtx.tm.internal.TransactionEngine;
import io.quorumtx.tm.internal.TransactionSynchronizationRegistryImpl;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.LocalCommitLog;
import io.quorumtx.tm.log.LogStats;
import io.quorumtx.tm.spi.TransactionObserver;
import io.quorumtx.tm.protocol.BranchFanOut;
import io.quorumtx.tm.protocol.HeuristicOutcome;
import io.quorumtx.tm.protocol.PresumedAbortTwoPhaseCommit;
import io.quorumtx.tm.protocol.ThreePhaseCommit;
import io.quorumtx.tm.protocol.RetrySchedule;
import io.quorumtx.tm.recovery.ResolveReport;
import io.quorumtx.tm.spi.RecoverableResource;
import jakarta.transaction.HeuristicMixedException;
import jakarta.transaction.HeuristicRollbackException;
import jakarta.transaction.InvalidTransactionException;
import jakarta.transaction.NotSupportedException;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.SystemException;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionManager;
import jakarta.transaction.TransactionSynchronizationRegistry;
import jakarta.transaction.UserTransaction;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A JTA transaction manager: {@link TransactionManager}, {@link UserTransaction} and (through
 * {@link #getTransactionSynchronizationRegistry()}) a {@link TransactionSynchronizationRegistry},
 * committing with presumed-abort two-phase commit over a {@link CommitLog}.
 *
 * <p>No global state: everything belongs to the instance, including the thread association
 * (an instance {@link ThreadLocal}), so several managers can run in one JVM, each with its own
 * log, threads and transactions; a transaction of one is invalid for another. A manager owns its
 * commit log, a reaper thread (timeouts), a retry thread (phase 2), a recovery thread (see
 * {@link #recover()}) and, unless {@link BranchExecution#SERIAL}, a bounded set of branch threads
 * that prepare and commit a transaction's branches side by side, all daemons named after the node
 * id, and releases them on {@link #close()}.
 *
 * <p>The success path runs on the application's thread: begin, enlist, the synchronizations,
 * prepare, the forced commit record, phase 2 and {@code afterCompletion}; only the XA calls of
 * further branches may run on branch threads while it waits for them
 * ({@link QuorumTransactionManagerBuilder#branchExecution}).
 * {@code afterCompletion} runs after phase 2 was attempted on every branch; branches that could
 * not be reached are retried in the background (see {@link #pendingPhase2Retries()}).
 */
public final class QuorumTransactionManager implements TransactionManager, UserTransaction, AutoCloseable {

    /** What a thread is associated with in this manager. */
    private static final class ThreadContext {
        QuorumTransaction tx;
        long timeoutNanos; // 0: the manager's default
    }

    private final String nodeId;
    private final TransactionEngine engine;
    private final ThreadLocal<ThreadContext> threads = ThreadLocal.withInitial(ThreadContext::new);
    private final TransactionSynchronizationRegistry registry;
    private final RecoveryManager recovery;
    private final BranchFanOut fanOut;

    public static QuorumTransactionManagerBuilder builder() {
        return new QuorumTransactionManagerBuilder();
    }

    QuorumTransactionManager(QuorumTransactionManagerBuilder config, CommitLog log) {
        this.nodeId = config.nodeId();
        RetrySchedule retries = new RetrySchedule(config.retryInitialDelay(), config.retryMaxDelay(),
                config.retryAttempts());
        this.fanOut = config.branchExecution() == BranchExecution.SERIAL ? BranchFanOut.serial()
                : BranchFanOut.parallel(new NamedDaemonThreads(nodeId, "branch"), config.branchThreads(),
                        config.branchExecution() == BranchExecution.AUTO);
        try {
            this.engine = new TransactionEngine(nodeId, log, config.defaultTimeout(), config.reaperInterval(),
                    (type, commitLog, heuristics, resources, requestRecovery) -> type == CommitProtocolType.THREE_PHASE
                            ? new ThreePhaseCommit(commitLog, heuristics, resources, new NamedDaemonThreads(nodeId,
                                    "phase3-retry"), retries, config.crashInjector(), fanOut, requestRecovery)
                            : new PresumedAbortTwoPhaseCommit(commitLog, heuristics, resources,
                                    new NamedDaemonThreads(nodeId, "phase2-retry"), retries, config.crashInjector(),
                                    fanOut),
                    config.defaultProtocol());
        } catch (RuntimeException | Error e) {
            fanOut.close();
            throw e;
        }
        this.registry = new TransactionSynchronizationRegistryImpl(() -> threads.get().tx);
        config.observers().forEach(engine::addObserver); // before the first recovery pass starts
        try {
            this.recovery = new RecoveryManager(engine, log, config.recoveryInterval(), config.recoverySafetyInterval());
            engine.recoveryGate(recovery);
            log.onTakeoverNeeded(recovery::requestPass);
        } catch (RuntimeException | Error e) {
            try {
                engine.close();
            } finally {
                fanOut.close();
            }
            throw e;
        }
    }

    public String nodeId() {
        return nodeId;
    }

    // ---------------------------------------------------------------- UserTransaction / TransactionManager

    @Override
    public void begin() throws NotSupportedException {
        ThreadContext ctx = threads.get();
        if (ctx.tx != null && ctx.tx.isFinished() && !ctx.tx.wasRolledBackByTimeout()) {
            // Completed through Transaction.commit()/rollback() rather than through this manager:
            // the association is stale. (A timed-out one stays until the application hears of it.)
            ctx.tx = null;
        }
        if (ctx.tx != null) {
            throw new NotSupportedException("Thread " + Thread.currentThread().getName()
                    + " is already associated with transaction " + ctx.tx.gtrid()
                    + "; nested transactions are not supported (commit, roll back or suspend it first)");
        }
        ctx.tx = engine.begin(ctx.timeoutNanos);
    }

    /**
     * Begins a transaction committed with {@code protocol} instead of the manager's default
     * ({@link QuorumTransactionManagerBuilder#defaultProtocol}).
     */
    public void begin(CommitProtocolType protocol) throws NotSupportedException {
        Objects.requireNonNull(protocol, "protocol");
        begin();
        threads.get().tx.protocolType(protocol);
    }

    /**
     * Begins a transaction with its own timeout and protocol, leaving the thread's
     * {@link #setTransactionTimeout} setting as it is (what {@code @QuorumTransactional} uses).
     *
     * @param protocol null for the manager's default
     * @param timeoutSeconds 0 for the thread's (or the manager's) timeout, else positive
     */
    public void begin(CommitProtocolType protocol, int timeoutSeconds) throws NotSupportedException {
        if (timeoutSeconds < 0) {
            throw new IllegalArgumentException("timeoutSeconds must be 0 (the default) or positive, got " + timeoutSeconds);
        }
        ThreadContext ctx = threads.get();
        long saved = ctx.timeoutNanos;
        if (timeoutSeconds > 0) {
            ctx.timeoutNanos = TimeUnit.SECONDS.toNanos(timeoutSeconds);
        }
        try {
            begin();
        } finally {
            ctx.timeoutNanos = saved;
        }
        if (protocol != null) {
            ctx.tx.protocolType(protocol);
        }
    }

    /**
     * Chooses the protocol of the current thread's transaction, before its first resource is
     * enlisted (for example in code that did not call {@code begin} itself).
     *
     * @throws IllegalStateException if there is no transaction or a resource is already enlisted
     */
    public void setCommitProtocol(CommitProtocolType protocol) {
        Objects.requireNonNull(protocol, "protocol");
        QuorumTransaction tx = threads.get().tx;
        if (tx == null || tx.isFinished()) {
            throw new IllegalStateException("Thread " + Thread.currentThread().getName()
                    + " has no transaction to choose a commit protocol for; call begin() first");
        }
        tx.protocolType(protocol);
    }

    /** The protocol of the current thread's transaction, or the manager's default when there is none. */
    public CommitProtocolType commitProtocol() {
        QuorumTransaction tx = threads.get().tx;
        return tx == null || tx.isFinished() ? engine.defaultProtocol() : tx.protocolType();
    }

    @Override
    public void commit() throws RollbackException, HeuristicMixedException, HeuristicRollbackException,
            SystemException {
        ThreadContext ctx = threads.get();
        QuorumTransaction tx = required(ctx, "commit");
        try {
            tx.commit();
        } finally {
            if (ctx.tx == tx) { // an afterCompletion callback may have begun a new one
                ctx.tx = null;
            }
        }
    }

    @Override
    public void rollback() throws SystemException {
        ThreadContext ctx = threads.get();
        QuorumTransaction tx = required(ctx, "rollback");
        try {
            tx.rollback();
        } finally {
            if (ctx.tx == tx) {
                ctx.tx = null;
            }
        }
    }

    @Override
    public void setRollbackOnly() {
        required(threads.get(), "setRollbackOnly").setRollbackOnly();
    }

    @Override
    public int getStatus() {
        QuorumTransaction tx = threads.get().tx;
        return tx == null ? Status.STATUS_NO_TRANSACTION : tx.getStatus();
    }

    /**
     * Sets the timeout of transactions this thread begins from now on; 0 restores the manager's
     * default. Does not change a transaction already running.
     */
    @Override
    public void setTransactionTimeout(int seconds) throws SystemException {
        if (seconds < 0) {
            throw new SystemException("Transaction timeout must be 0 (the default) or a positive number of seconds, got "
                    + seconds);
        }
        threads.get().timeoutNanos = TimeUnit.SECONDS.toNanos(seconds);
    }

    @Override
    public Transaction getTransaction() {
        return threads.get().tx;
    }

    /** Dissociates the thread from its transaction (branches stay as they are: no TMSUSPEND). */
    @Override
    public Transaction suspend() {
        ThreadContext ctx = threads.get();
        QuorumTransaction tx = ctx.tx;
        ctx.tx = null;
        return tx;
    }

    @Override
    public void resume(Transaction transaction) throws InvalidTransactionException {
        ThreadContext ctx = threads.get();
        if (ctx.tx != null) {
            throw new IllegalStateException("Thread " + Thread.currentThread().getName()
                    + " is already associated with transaction " + ctx.tx.gtrid() + "; suspend it before resuming another");
        }
        if (transaction == null) {
            return;
        }
        if (!(transaction instanceof QuorumTransaction tx) || !engine.owns(tx)) {
            throw new InvalidTransactionException("Cannot resume " + transaction
                    + ": it was not started by the transaction manager of node " + nodeId);
        }
        if (tx.isFinished()) {
            throw new InvalidTransactionException("Cannot resume transaction " + tx.gtrid() + ": it has completed ("
                    + tx + ")");
        }
        ctx.tx = tx;
    }

    // ---------------------------------------------------------------- QuorumTX additions

    /** The registry bound to this manager: it acts on the calling thread's transaction of this manager. */
    public TransactionSynchronizationRegistry getTransactionSynchronizationRegistry() {
        return registry;
    }

    /**
     * The enlistment gate, for callers that should wait before they take a connection: returns
     * once a recovery pass has finished the registered resource {@code resourceName} since this
     * manager started (at once after that, or if no resource has that name). Enlisting a resource
     * runs the same check, so calling this is optional; the JDBC adapter calls it before it takes
     * a pooled connection, so a pass that needs one of that pool's connections is not starved.
     *
     * @throws SystemException if the resource cannot be recovered now (unreachable; the message says why)
     */
    public void awaitRecovered(String resourceName) throws SystemException {
        if (!recovery.isRecovered(resourceName) && engine.resource(resourceName) != null) {
            recovery.awaitRecovered(resourceName);
        }
    }

    /**
     * Registers a resource the manager can reach on its own (phase-2 retries, recovery), under its
     * {@link RecoverableResource#resourceName()}.
     *
     * @throws IllegalStateException if another resource already has that name
     */
    public void registerResource(RecoverableResource resource) {
        engine.registerResource(resource);
        recovery.requestPassOfUnrecovered(); // a restarted application's in-doubt branches can only be found now
    }

    /**
     * Runs a recovery pass now, on the calling thread (after a background pass that is running,
     * if any), and reports what it found and did. Heuristic outcomes it meets are also added to
     * {@link #heuristicOutcomes()}. The same pass runs in the background when the manager starts,
     * when a resource is registered, and every recovery interval.
     *
     * @throws IllegalStateException if the manager is closed
     */
    public ResolveReport recover() {
        return recovery.runPass();
    }

    /** Removes the resource registered under {@code name}; returns false if there was none. */
    public boolean unregisterResource(String name) {
        return engine.unregisterResource(name);
    }

    /** The resource registered under {@code name}, or null. */
    public RecoverableResource registeredResource(String name) {
        return engine.resource(name);
    }

    /** Every heuristic outcome this manager has seen since it started, oldest first. */
    public List<HeuristicOutcome> heuristicOutcomes() {
        return engine.heuristicOutcomes();
    }

    /** Transactions whose decided outcome is still being retried on some branch. */
    public int pendingPhase2Retries() {
        return engine.pendingRetries();
    }

    // ---------------------------------------------------------------- monitoring (metrics, tracing, health)

    /**
     * Registers {@code observer}, which from now on is told about every transaction's outcome,
     * each commit's phases and every recovery pass (see {@link TransactionObserver}: its
     * exceptions never affect a transaction). With none registered the commit path does no
     * timing at all. Thread-safe; a transaction whose commit has started keeps the observers it
     * started with.
     */
    public void addObserver(TransactionObserver observer) {
        engine.addObserver(observer);
    }

    /** Removes {@code observer}; returns false if it was not registered. */
    public boolean removeObserver(TransactionObserver observer) {
        return engine.removeObserver(observer);
    }

    /**
     * Prepared branches that recovery found and left in doubt (their owner may still decide, or
     * completing them failed), over every registered resource, as of the last pass that scanned
     * each. Branches of this manager's own commits in flight can appear here for a moment; see
     * {@link #oldestInDoubtAge()}.
     */
    public int inDoubtBranches() {
        return recovery.inDoubt().branches();
    }

    /** How long ago the transaction of the oldest branch counted by {@link #inDoubtBranches()} began; zero if none. */
    public Duration oldestInDoubtAge() {
        return recovery.inDoubt().oldestAge();
    }

    /**
     * The heuristic outcomes seen (on the commit path or by recovery) that no operator has
     * acknowledged yet, oldest first: each needs a person to check the data of its resource.
     * {@link #heuristicOutcomes()} keeps every one, acknowledged or not.
     */
    public List<HeuristicOutcome> heuristicOutcomesWaiting() {
        return engine.heuristicOutcomesWaiting();
    }

    /**
     * Marks {@code outcomes} (from {@link #heuristicOutcomesWaiting()}) as dealt with, so health
     * checks stop reporting them; returns how many of them were still waiting.
     */
    public int acknowledgeHeuristicOutcomes(Collection<HeuristicOutcome> outcomes) {
        return engine.acknowledgeHeuristics(outcomes);
    }

    /**
     * True once the commit log has failed stop (a write or force failed): no transaction can
     * commit two-phase until the manager is restarted and its log reopened.
     */
    public boolean commitLogFailed() {
        return engine.commitLog().hasFailed();
    }

    /**
     * The counters of the local commit log (forces, records, ...), or empty when the manager uses
     * another log (replicated, or one passed to {@link QuorumTransactionManagerBuilder#commitLog}).
     */
    public Optional<LogStats> logStats() {
        return engine.commitLog() instanceof LocalCommitLog local ? Optional.of(local.stats()) : Optional.empty();
    }

    /** Transactions begun and not yet completed. */
    public int activeTransactions() {
        return engine.liveTransactions();
    }

    /**
     * Stops the reaper and retry threads and closes the commit log. Idempotent. Transactions still
     * running can no longer commit two-phase (the log is closed) and their prepared branches, as
     * well as pending retries, are left to recovery.
     */
    @Override
    public void close() {
        try {
            recovery.close();
        } finally {
            try {
                engine.close();
            } finally {
                fanOut.close();
            }
        }
    }

    private static QuorumTransaction required(ThreadContext ctx, String operation) {
        QuorumTransaction tx = ctx.tx;
        if (tx == null) {
            throw new IllegalStateException(operation + "() called, but thread " + Thread.currentThread().getName()
                    + " is not associated with a transaction; call begin() first");
        }
        return tx;
    }

    @Override
    public String toString() {
        return "QuorumTransactionManager[node " + nodeId + "]";
    }
}
