package io.quorumtx.tm.testing;

/**
 * Named points of the commit path where a crash test may kill the process (through a
 * {@link CrashInjector}). Each is a place where a real crash leaves a different kind of work for
 * recovery, so together they cover every state a transaction can be left in.
 */
public enum CrashPoint {
    /** At least one branch has prepared and at least one has not: presumed abort must roll back. */
    AFTER_SOME_PREPARED,
    /** Every branch has prepared, the COMMIT record is not written yet: presumed abort must roll back. */
    AFTER_ALL_PREPARED,
    /** The COMMIT record is forced, no branch is committed yet: recovery must commit every branch. */
    AFTER_COMMIT_RECORD,
    /**
     * Three-phase commit: the COMMIT record is forced and the first participant's pre-commit marker
     * is written, others are not: recovery commits from the log, or from the marker when the log is lost.
     */
    AFTER_SOME_MARKERS,
    /** Three-phase commit: every participant holds its pre-commit marker, no branch is committed yet. */
    AFTER_ALL_MARKERS,
    /**
     * The decision is carried by a participant ({@code CommitLog#decisionCarrier}): its branch holds
     * the uncommitted COMMIT row, the other branches are prepared, and the carrier's one-phase commit
     * (the commit point) has not run: recovery must roll back (after an ABORT row is inserted).
     */
    BEFORE_DECISION_BRANCH_COMMIT,
    /**
     * The carrier's one-phase commit (with the COMMIT row in it) has returned, no other branch is
     * committed yet: recovery must commit every other branch.
     */
    AFTER_DECISION_BRANCH_COMMIT,
    /**
     * Some branches are committed and at least one is not (phase 2 of 2PC, phase 3 of 3PC):
     * recovery must commit the rest.
     */
    BETWEEN_PHASE2_COMMITS,
    /**
     * Part of the frame of a COMMIT record has been written and forced, the rest has not: the
     * log must cut the torn frame on reopen, and recovery must roll the branches back (the
     * committer was never told the commit succeeded).
     */
    LOG_APPEND_TORN
}
