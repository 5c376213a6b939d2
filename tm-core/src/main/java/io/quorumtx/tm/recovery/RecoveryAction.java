package io.quorumtx.tm.recovery;

/** What recovery does with one in-doubt branch. */
public enum RecoveryAction {
    /** The transaction's COMMIT is logged: commit the branch. */
    COMMIT,
    /** No decision can come any more (presumed abort), or ABORT is logged: roll the branch back. */
    ROLLBACK,
    /** Not ours to decide now (too young, or its owner may still decide): leave it for a later pass. */
    LEAVE
}
