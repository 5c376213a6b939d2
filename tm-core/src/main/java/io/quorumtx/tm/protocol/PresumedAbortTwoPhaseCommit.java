package io.quorumtx.tm.protocol;

import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.log.CommitLog;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Two-phase commit with presumed abort: the voting commit of {@link PresumedAbortCommit} with
 * nothing between the forced COMMIT record and phase 2. The commit log alone decides in-doubt
 * branches.
 */
public final class PresumedAbortTwoPhaseCommit extends PresumedAbortCommit {

    /** See {@link PresumedAbortCommit#PresumedAbortCommit}. */
    public PresumedAbortTwoPhaseCommit(CommitLog log, Consumer<HeuristicOutcome> heuristics,
            Function<String, RecoverableResource> resources, ThreadFactory threads, RetrySchedule retries,
            CrashInjector crash, BranchFanOut fanOut) {
        super(log, heuristics, resources, threads, retries, crash, fanOut);
    }
}
