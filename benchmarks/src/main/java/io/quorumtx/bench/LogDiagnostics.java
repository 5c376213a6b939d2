package io.quorumtx.bench;

import io.quorumtx.tm.log.LogStats;
import java.util.Locale;

import io.quorumtx.tm.log.LocalCommitLog;

/** How well group commit batched since the last call: commits per {@code FileChannel.force}. */
final class LogDiagnostics {
    private final LocalCommitLog log;
    private LogStats last;

    LogDiagnostics(LocalCommitLog log) {
        this.log = log;
        this.last = log.stats();
    }

    String sinceLastCall() {
        LogStats now = log.stats();
        long commits = now.commitsWritten() - last.commitsWritten();
        long forces = now.forces() - last.forces();
        last = now;
        return String.format(Locale.ROOT, "log: %d commits in %d forces (%.1f per force)",
                commits, forces, forces == 0 ? 0.0 : (double) commits / forces);
    }
}
