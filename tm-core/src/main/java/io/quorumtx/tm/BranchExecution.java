package io.quorumtx.tm;

import io.quorumtx.tm.spi.ResourceLocality;

/**
 * Whether the branches of one transaction are prepared, committed and rolled back one after the
 * other on the committing thread, or side by side; chosen with
 * {@link QuorumTransactionManagerBuilder#branchExecution}. The outcome of a transaction is the
 * same either way; only its latency differs (see the README, "Branches in parallel").
 */
public enum BranchExecution {
    /**
     * Parallel when at least two of the transaction's branches are on database servers (not in
     * this JVM, see {@link ResourceLocality}); serial otherwise, so embedded H2 pays no thread hop.
     * The default.
     */
    AUTO,
    /** Always one branch after the other, on the committing thread. */
    SERIAL,
    /** Parallel whenever a transaction has two or more branches, wherever they are. */
    PARALLEL
}
