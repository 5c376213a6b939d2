package io.quorumtx.tm.internal;

import io.quorumtx.tm.spi.CommitPhase;
import io.quorumtx.tm.spi.CommitTimings;
import io.quorumtx.tm.spi.TransactionObserver;
import io.quorumtx.tm.spi.TransactionOutcome;
import jakarta.transaction.Status;

/**
 * The timing of one observed commit, derived from the state transitions the commit protocol
 * already reports ({@code Progress.reached}): PREPARED ends the vote and starts the decision,
 * COMMITTING starts phase 2 (straight from the vote for a one-phase commit), and ROLLING_BACK or
 * UNKNOWN end whatever phase was running. So the protocols need no hook of their own, and a
 * protocol that reports its transitions is timed for free.
 *
 * <p>Made only when an observer is registered (the hot path otherwise allocates nothing and
 * reads no clock); confined to the completing thread.
 */
final class CommitWatch {
    private final TransactionObserver observer;
    private final String gtrid;
    private final long start;
    private CommitPhase current;
    private long phaseStart;
    private long prepareNanos = CommitTimings.NOT_RUN;
    private long logNanos = CommitTimings.NOT_RUN;
    private long phase2Nanos = CommitTimings.NOT_RUN;

    private CommitWatch(TransactionObserver observer, String gtrid, int branches) {
        this.observer = observer;
        this.gtrid = gtrid;
        observer.commitStarted(gtrid, branches);
        this.start = System.nanoTime();
        if (branches > 1) {
            enter(CommitPhase.PREPARE, start);
        }
    }

    /** Null when no observer is registered. */
    static CommitWatch start(TransactionObserver observer, String gtrid, int branches) {
        return observer == null ? null : new CommitWatch(observer, gtrid, branches);
    }

    /** The transaction reached {@code jtaStatus} (see the class comment). */
    void reached(int jtaStatus) {
        long now = System.nanoTime();
        switch (jtaStatus) {
            case Status.STATUS_PREPARED -> enter(CommitPhase.LOG, now);
            case Status.STATUS_COMMITTING -> enter(CommitPhase.PHASE2, now);
            case Status.STATUS_ROLLING_BACK, Status.STATUS_UNKNOWN -> end(now);
            default -> {
            }
        }
    }

    /**
     * The transaction completed in {@code finalState} (a {@link Status} code): tells the observers
     * (if any) how it ended and, if its commit was watched, how long the commit took. A heuristic
     * against the decision wins over the state; a rollback is a timeout if the reaper caused it;
     * a state that is neither committed nor rolled back means in doubt.
     */
    static void finished(CommitWatch watch, TransactionObserver observers, String gtrid, int finalState,
            boolean timedOut, boolean heuristicMet) {
        if (observers == null && watch == null) {
            return;
        }
        TransactionOutcome outcome = heuristicMet ? TransactionOutcome.HEURISTIC
                : finalState == Status.STATUS_COMMITTED ? TransactionOutcome.COMMITTED
                : finalState == Status.STATUS_ROLLEDBACK
                        ? (timedOut ? TransactionOutcome.TIMED_OUT : TransactionOutcome.ROLLED_BACK)
                : TransactionOutcome.IN_DOUBT;
        TransactionObserver to = observers;
        if (watch != null) {
            to = watch.observer; // the observers the commit started with, so its calls stay paired
            long now = System.nanoTime();
            watch.end(now);
            to.commitFinished(gtrid, outcome, new CommitTimings(now - watch.start, watch.prepareNanos, watch.logNanos,
                    watch.phase2Nanos));
        }
        to.transactionFinished(gtrid, outcome);
    }

    private void enter(CommitPhase phase, long now) {
        if (phase == current) {
            return;
        }
        end(now);
        current = phase;
        phaseStart = now;
        observer.commitPhaseStarted(gtrid, phase);
    }

    private void end(long now) {
        if (current != null) {
            long took = now - phaseStart;
            switch (current) {
                case PREPARE -> prepareNanos = took;
                case LOG -> logNanos = took;
                case PHASE2 -> phase2Nanos = took;
            }
            current = null;
        }
    }
}
