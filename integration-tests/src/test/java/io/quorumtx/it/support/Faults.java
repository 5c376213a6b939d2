package io.quorumtx.it.support;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Failures to inject into one database's branches, shared by every connection of that
 * database (so a retry on a fresh connection sees the plan used up), and a count of what was
 * actually injected, so a test can prove its failure happened instead of passing vacuously.
 */
public final class Faults {
    private final AtomicInteger prepareFailuresLeft = new AtomicInteger();
    private final AtomicInteger commitFailuresLeft = new AtomicInteger();
    private final AtomicInteger transientCommitFailuresLeft = new AtomicInteger();
    private final AtomicInteger preparesRefused = new AtomicInteger();
    private final AtomicInteger commitsFailed = new AtomicInteger();

    /** The next {@code n} prepares vote no (the branch is rolled back, as a real "no" leaves it). */
    public void refuseNextPrepares(int n) {
        prepareFailuresLeft.set(n);
    }

    /**
     * The next {@code n} phase-2 commits lose the connection: the physical connection is closed
     * (the branch stays prepared, in doubt) and the caller gets XAER_RMFAIL / SQLState 08006.
     */
    public void loseConnectionOnNextCommits(int n) {
        commitFailuresLeft.set(n);
    }

    /**
     * The next {@code n} phase-2 commits fail with XAER_RMFAIL / SQLState 08006 but leave the
     * connection and its prepared branch intact (a timeout the connection survives).
     */
    public void failNextCommitsTransiently(int n) {
        transientCommitFailuresLeft.set(n);
    }

    boolean takeTransientCommitFault() {
        if (take(transientCommitFailuresLeft)) {
            commitsFailed.incrementAndGet();
            return true;
        }
        return false;
    }

    boolean takePrepareFault() {
        if (take(prepareFailuresLeft)) {
            preparesRefused.incrementAndGet();
            return true;
        }
        return false;
    }

    boolean takeCommitFault() {
        if (take(commitFailuresLeft)) {
            commitsFailed.incrementAndGet();
            return true;
        }
        return false;
    }

    public int preparesRefused() {
        return preparesRefused.get();
    }

    public int commitsFailed() {
        return commitsFailed.get();
    }

    private static boolean take(AtomicInteger left) {
        return left.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }
}
