package io.quorumtx.tm.recovery;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import java.util.List;

/**
 * The commit log as recovery sees it when every copy is gone or unreadable: it knows no decision
 * and keeps nothing. Only {@link Recovery#withoutLog} uses it; there recovery decides from
 * three-phase-commit markers alone (and the operator's overrides).
 */
final class LostCommitLog implements CommitLog {

    /** The operator's COMMIT override: nothing can keep it; the markers recovery writes next do. */
    @Override
    public void logCommit(CommitRecord record) {
    }

    @Override
    public void logEnd(String gtrid) {
    }

    @Override
    public void logEndForced(String gtrid) {
    }

    @Override
    public void logBranchDone(String gtrid, BranchRecord branch) {
    }

    @Override
    public boolean isBranchDone(String gtrid, BranchRecord branch) {
        return false;
    }

    @Override
    public Decision decision(String gtrid) {
        return Decision.UNKNOWN;
    }

    @Override
    public List<CommitRecord> unfinished() {
        return List.of();
    }

    @Override
    public void close() {
    }
}
