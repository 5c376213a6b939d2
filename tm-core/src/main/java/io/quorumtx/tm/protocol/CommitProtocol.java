package io.quorumtx.tm.protocol;

import jakarta.transaction.HeuristicCommitException;
import jakarta.transaction.HeuristicMixedException;
import jakarta.transaction.HeuristicRollbackException;
import jakarta.transaction.RollbackException;
import jakarta.transaction.SystemException;
import java.util.List;

/**
 * How a transaction's branches are brought to one outcome once the application asks to commit or
 * roll back.
 *
 * <p>The transaction itself owns everything before this point (enlistment, synchronizations, the
 * state machine that keeps the timeout reaper out, {@code XAResource.end}); a protocol receives
 * branches that are already ended and owns everything after: voting, the decision record,
 * phase 2, retries and heuristics. That split is what lets 3PC be a second implementation rather
 * than a rewrite. Implementations are shared by all transactions of one manager and must be
 * thread-safe; they are called on the application's thread and should not hop threads on the
 * success path.
 */
public interface CommitProtocol extends AutoCloseable {

    /**
     * Commits {@code branches} (each ended with TMSUCCESS, in enlistment order).
     *
     * <p>Returns normally once the decision is COMMIT and phase 2 has been attempted; branches that
     * could not be reached are left to retries and recovery, not reported as failures.
     *
     * @throws RollbackException the transaction was rolled back instead (a branch voted no, or the
     *     decision could not be logged but certainly was not written); the cause says why
     * @throws HeuristicMixedException some branches committed and some did not, or may not have
     * @throws HeuristicRollbackException every branch rolled back on its own
     * @throws SystemException the outcome is in doubt (the decision record may or may not be
     *     durable); prepared branches are left to recovery
     */
    void commit(String gtrid, List<Participant> branches, Progress progress)
            throws RollbackException, HeuristicMixedException, HeuristicRollbackException, SystemException;

    /**
     * Called before the branches are ended, on the committing thread: if the commit log can carry
     * the decision in one of these branches ({@link io.quorumtx.tm.log.CommitLog#decisionCarrier()}),
     * writes the COMMIT decision into that still-associated branch and returns its participant, to
     * be passed to {@link #commit(String, List, Participant, Progress)}; otherwise returns null and
     * writes nothing. Default: null.
     *
     * @throws io.quorumtx.tm.log.CommitLogException the decision could not be written into the
     *     branch (nothing is decided): the caller rolls the transaction back
     */
    default Participant writeDecisionInBranch(String gtrid, List<Participant> branches) {
        return null;
    }

    /**
     * As {@link #commit(String, List, Progress)}, where {@code decisionBranch} (one of
     * {@code branches}, or null) already holds the uncommitted COMMIT decision written by
     * {@link #writeDecisionInBranch}: the other branches are prepared, then that branch commits in
     * one phase as the commit point, then the others commit.
     */
    default void commit(String gtrid, List<Participant> branches, Participant decisionBranch, Progress progress)
            throws RollbackException, HeuristicMixedException, HeuristicRollbackException, SystemException {
        if (decisionBranch != null) {
            throw new IllegalStateException(getClass().getSimpleName() + " cannot commit with a decision branch");
        }
        commit(gtrid, branches, progress);
    }

    /**
     * Rolls back {@code branches} (each already ended). Branches that cannot be reached are left to
     * retries and recovery (presumed abort: nothing was logged, so recovery rolls them back too).
     *
     * @throws HeuristicMixedException some branches committed on their own, others rolled back
     * @throws HeuristicCommitException every branch committed on its own
     */
    void rollback(String gtrid, List<Participant> branches, Progress progress)
            throws HeuristicMixedException, HeuristicCommitException;

    /** Transactions whose decided outcome is still being retried on some branch. */
    int pendingRetries();

    /**
     * True while this protocol still owns the outcome of {@code gtrid} after {@code commit} or
     * {@code rollback} returned: a branch is being retried, or the COMMIT record could not be
     * confirmed (it may be on disk although the log does not know it until it is reopened).
     * Recovery leaves such transactions to the protocol (or to the next incarnation), so the two
     * never drive the same branch at once.
     */
    boolean holds(String gtrid);

    /**
     * Gives up holding transactions whose commit record could not be confirmed once the commit
     * log can decide them after all ({@link io.quorumtx.tm.log.CommitLog#settlesInDoubt()}: the
     * replicated log, when a majority answers again); recovery then finishes their branches as
     * the settled decision says. Called by the recovery manager before each pass.
     */
    default void settleUnconfirmed() {
    }

    /** Stops retry threads; what is pending is left to recovery. Does not close the commit log. */
    @Override
    void close();

    /** Told each time the transaction reaches a new {@link jakarta.transaction.Status} code. */
    interface Progress {
        void reached(int jtaStatus);
    }
}
