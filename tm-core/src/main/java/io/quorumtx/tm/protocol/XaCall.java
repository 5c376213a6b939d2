package io.quorumtx.tm.protocol;

/**
 * Where an XA call is made, which is what an answer's meaning depends on (see {@link XaOutcome}).
 * The commit contexts all follow a COMMIT decision that is final; the rollback contexts all
 * follow the absence of any COMMIT decision (presumed abort) or a logged ABORT.
 */
public enum XaCall {
    /** {@code prepare} of a branch, before any decision. */
    PREPARE,
    /** {@code commit(xid, true)} of the only branch that voted (never prepared, nothing logged). */
    ONE_PHASE_COMMIT,
    /** The first {@code commit(xid, false)} of a prepared branch on the committing thread, after the final COMMIT. */
    PHASE2_COMMIT,
    /** A later commit of that branch by the phase-2 retrier (an earlier attempt may have committed it). */
    PHASE2_COMMIT_RETRY,
    /** A rollback on the commit path or by the retrier: no COMMIT decision exists for the transaction. */
    ROLLBACK,
    /** Recovery commits a listed branch: COMMIT logged, proven by a pre-commit marker, or the operator's (logged first). */
    RECOVERY_COMMIT,
    /** Recovery rolls a listed branch back: presumed abort, ABORT chosen, or the operator's decision. */
    RECOVERY_ROLLBACK;

    /** True for the contexts that commit a branch (the transaction's decision is COMMIT). */
    public boolean commits() {
        return this == ONE_PHASE_COMMIT || this == PHASE2_COMMIT || this == PHASE2_COMMIT_RETRY
                || this == RECOVERY_COMMIT;
    }
}
