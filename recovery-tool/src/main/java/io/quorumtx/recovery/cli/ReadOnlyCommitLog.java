package io.quorumtx.recovery.cli;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.log.LogInspection;
import java.util.List;

/**
 * A snapshot of a log, seen through the {@link CommitLog} interface so the recovery engine can
 * plan from it without the tool taking the log's lock: for {@code scan} and
 * {@code resolve --dry-run}. It can decide nothing: writing a COMMIT fails, an END is dropped
 * (ENDs are advisory, and a dry run must not write one anyway).
 */
final class ReadOnlyCommitLog implements CommitLog {
    private final LogInspection snapshot;

    ReadOnlyCommitLog(LogInspection snapshot) {
        this.snapshot = snapshot;
    }

    @Override
    public void logCommit(CommitRecord record) {
        throw new UnsupportedOperationException("the recovery tool read this commit log without its lock and"
                + " cannot write to it; run resolve without --dry-run to decide transactions");
    }

    @Override
    public void logEnd(String gtrid) {
        // advisory; never written through a snapshot
    }

    @Override
    public void logEndForced(String gtrid) {
        throw new UnsupportedOperationException("the recovery tool read this commit log without its lock and"
                + " cannot write to it; run resolve without --dry-run to finish transactions");
    }

    @Override
    public void logBranchDone(String gtrid, BranchRecord branch) {
        throw new UnsupportedOperationException("the recovery tool read this commit log without its lock and"
                + " cannot write to it; run resolve without --dry-run to finish transactions");
    }

    @Override
    public boolean isBranchDone(String gtrid, BranchRecord branch) {
        return snapshot.isBranchDone(gtrid, branch);
    }

    @Override
    public Decision decision(String gtrid) {
        return snapshot.decision(gtrid);
    }

    @Override
    public List<CommitRecord> unfinished() {
        return snapshot.unfinished();
    }

    @Override
    public void close() {
        // nothing held
    }
}
