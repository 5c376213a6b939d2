package io.quorumtx.tm.paxos;

import io.quorumtx.tm.log.CommitRecord;
import java.util.Objects;

/**
 * What a transaction's Paxos instance decides: COMMIT, carrying the branches that must commit,
 * or ABORT. The coordinator proposes COMMIT at round 0; a takeover that finds nothing accepted
 * proposes ABORT.
 */
record PaxosValue(CommitRecord commit) {

    private static final PaxosValue ABORT = new PaxosValue(null);

    public static PaxosValue commit(CommitRecord record) {
        return new PaxosValue(Objects.requireNonNull(record, "record"));
    }

    public static PaxosValue abort() {
        return ABORT;
    }

    public boolean isCommit() {
        return commit != null;
    }

    @Override
    public String toString() {
        return isCommit() ? "COMMIT" + commit.branches() : "ABORT";
    }
}
