package io.quorumtx.tm.log;

/**
 * Counters of a {@link LocalCommitLog} since it was opened ({@link LocalCommitLog#stats()}), for tests,
 * benchmarks and monitoring; a snapshot may mix values of adjacent batches (the writer thread alone
 * writes them). {@code commitsWritten} counts COMMITs logged by callers;
 * {@code recordsWritten} counts every frame (COMMITs, ENDs and carried-forward copies).
 * {@code forces} counts {@code FileChannel.force} calls for records (not those for new
 * segment headers); with concurrent committers it stays well below {@code commitsWritten}.
 * {@code segments} is the number of segment files currently kept; {@code commitsCarried} the
 * unfinished commits copied into a newer segment so an old one could be deleted.
 */
public record LogStats(long recordsWritten, long commitsWritten, long forces, long bytesWritten, int segments,
                       long segmentsDeleted, long commitsCarried) {
}
