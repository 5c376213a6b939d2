package io.quorumtx.tm.spi;

/**
 * Told what a transaction manager's transactions and recovery passes do, for metrics, tracing
 * and health (the {@code quorumtx-micrometer} module implements it over Micrometer; anything else
 * can too). Register it with {@code QuorumTransactionManager.addObserver} or the builder's
 * {@code observer}.
 *
 * <p><b>Why here, in {@code spi}.</b> The engine calls it from {@code tm.internal} and the
 * recovery manager; keeping it (and its value types) in this bottom package, which depends on no
 * other QuorumTX package, lets any engine package report to it without a package cycle, and keeps
 * Micrometer or any other monitoring library out of tm-core.
 *
 * <p><b>Contract.</b> Every method has an empty default, so an implementation overrides what it
 * needs. Calls come on the thread doing the work (the committing application thread, the timeout
 * reaper, the recovery thread) and must return quickly and not block: they sit on the commit
 * path. A commit's calls come on one thread, in order: {@link #commitStarted}, then
 * {@link #commitPhaseStarted} for each phase that runs, then {@link #commitFinished}, then
 * {@link #transactionFinished}. An exception thrown by an observer never changes a transaction's
 * outcome: the manager catches it, logs it once per observer, and carries on. With no observer
 * registered the manager does no timing and calls nothing (the hot path is unchanged).
 */
public interface TransactionObserver {

    /**
     * The commit protocol starts on a transaction with {@code branches} enlisted branches (after
     * its {@code beforeCompletion} synchronizations; a transaction rolled back before that, for
     * example one marked rollback-only, is only {@link #transactionFinished}).
     */
    default void commitStarted(String gtrid, int branches) {
    }

    /**
     * A phase of the commit of {@code gtrid} begins; the previous one, if any, has ended. A phase
     * that does not run is not announced (a one-phase commit announces only {@link CommitPhase#PHASE2}).
     */
    default void commitPhaseStarted(String gtrid, CommitPhase phase) {
    }

    /** The commit protocol of {@code gtrid} has ended with {@code outcome}; {@code timings} says how long each phase took. */
    default void commitFinished(String gtrid, TransactionOutcome outcome, CommitTimings timings) {
    }

    /**
     * The transaction {@code gtrid} has an outcome: called once per transaction that completes,
     * whether it was committed, rolled back by the application, or timed out by the reaper.
     */
    default void transactionFinished(String gtrid, TransactionOutcome outcome) {
    }

    /** A recovery pass begins (on the recovery thread, or the caller of {@code recover()}); passes never overlap. */
    default void recoveryPassStarted() {
    }

    /** The recovery pass begun last has ended. */
    default void recoveryPassFinished(RecoveryPassSummary summary) {
    }
}
