package io.quorumtx.tm.testkit;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link CommitLog} held in memory, for tests of the protocol: it records COMMIT and END
 * records and can be told to fail the next {@code logCommit} the way a real log does.
 */
public final class InMemoryCommitLog implements CommitLog {
    private final Map<String, CommitRecord> commits = new LinkedHashMap<>();
    private final Set<String> ends = new LinkedHashSet<>();
    private final Set<String> forcedEnds = new LinkedHashSet<>();
    private final Map<String, Set<BranchRecord>> done = new LinkedHashMap<>();
    private Boolean nextFailureDefinitelyNotWritten;
    private int logCommitCalls;
    private boolean closed;
    private boolean failed;

    /** The next logCommit throws CommitLogException with this definitelyNotWritten flag. */
    public synchronized InMemoryCommitLog failNextCommit(boolean definitelyNotWritten) {
        this.nextFailureDefinitelyNotWritten = definitelyNotWritten;
        return this;
    }

    /** From now on the log has failed stop, as a real log after a failed force: it refuses every commit. */
    public synchronized InMemoryCommitLog failStop() {
        this.failed = true;
        return this;
    }

    @Override
    public synchronized boolean hasFailed() {
        return failed;
    }

    @Override
    public synchronized void logCommit(CommitRecord record) {
        logCommitCalls++;
        if (closed) {
            throw CommitLogException.notWritten("commit log is closed");
        }
        if (failed) {
            throw CommitLogException.notWritten("scripted fail-stop: the commit log has failed");
        }
        Boolean failure = nextFailureDefinitelyNotWritten;
        nextFailureDefinitelyNotWritten = null;
        if (failure != null) {
            if (!failure) {
                commits.put(record.gtrid(), record); // it may well have reached the disk
            }
            throw failure ? CommitLogException.notWritten("scripted log failure")
                    : CommitLogException.inDoubt("scripted log failure");
        }
        commits.put(record.gtrid(), record);
    }

    @Override
    public synchronized void logEnd(String gtrid) {
        ends.add(gtrid);
    }

    @Override
    public synchronized void logEndForced(String gtrid) {
        ends.add(gtrid);
        forcedEnds.add(gtrid);
    }

    @Override
    public synchronized void logBranchDone(String gtrid, BranchRecord branch) {
        if (commits.containsKey(gtrid) && !ends.contains(gtrid)) {
            done.computeIfAbsent(gtrid, g -> new LinkedHashSet<>()).add(branch);
        }
    }

    @Override
    public synchronized boolean isBranchDone(String gtrid, BranchRecord branch) {
        return !ends.contains(gtrid) && done.getOrDefault(gtrid, Set.of()).contains(branch);
    }

    /** The ENDs written with {@link #logEndForced} (recovery's path). */
    public synchronized Set<String> forcedEnds() {
        return Set.copyOf(forcedEnds);
    }

    @Override
    public synchronized Decision decision(String gtrid) {
        return commits.containsKey(gtrid) ? Decision.COMMIT : Decision.UNKNOWN;
    }

    @Override
    public synchronized List<CommitRecord> unfinished() {
        List<CommitRecord> list = new ArrayList<>();
        for (CommitRecord r : commits.values()) {
            if (!ends.contains(r.gtrid())) {
                list.add(r);
            }
        }
        return list;
    }

    public synchronized List<CommitRecord> commits() {
        return List.copyOf(commits.values());
    }

    public synchronized Set<String> ends() {
        return Set.copyOf(ends);
    }

    public synchronized int logCommitCalls() {
        return logCommitCalls;
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        closed = true;
    }
}
