package io.quorumtx.tm.spi;

/**
 * How long one commit and each of its phases took, in nanoseconds; a phase that did not run (a
 * one-phase commit has no vote and no decision record; a rollback after the vote has no phase 2)
 * is {@link #NOT_RUN}.
 *
 * @param totalNanos from the start of the commit protocol (after {@code beforeCompletion}) to its end
 * @param prepareNanos the vote
 * @param logNanos the durable decision
 * @param phase2Nanos committing the branches (or the one-phase commit)
 */
public record CommitTimings(long totalNanos, long prepareNanos, long logNanos, long phase2Nanos) {

    /** The value of a phase that did not run. */
    public static final long NOT_RUN = -1;

    /** The nanoseconds {@code phase} took, or {@link #NOT_RUN}. */
    public long nanos(CommitPhase phase) {
        return switch (phase) {
            case PREPARE -> prepareNanos;
            case LOG -> logNanos;
            case PHASE2 -> phase2Nanos;
        };
    }
}
