package io.quorumtx.tm.spi;

/**
 * What one recovery pass of a transaction manager did, in counts (a monitoring system needs no
 * more; the full report is {@code QuorumTransactionManager.recover()}'s {@code ResolveReport}).
 *
 * @param committed branches it committed
 * @param rolledBack branches it rolled back
 * @param leftInDoubt prepared branches it left (their owner may still decide, or completing them failed)
 * @param heuristics heuristic outcomes it met
 * @param unreachableResources resources it could not scan
 * @param durationNanos how long the pass took
 * @param failure null, or why the pass failed as a whole (its counts are then zero)
 */
public record RecoveryPassSummary(int committed, int rolledBack, int leftInDoubt,
        int heuristics, int unreachableResources, long durationNanos, String failure) {

    /** True if the pass ran to its end (individual branches may still have failed). */
    public boolean completed() {
        return failure == null;
    }
}
