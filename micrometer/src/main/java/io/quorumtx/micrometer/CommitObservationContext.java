package io.quorumtx.micrometer;

import io.micrometer.observation.Observation;
import io.quorumtx.tm.spi.TransactionOutcome;

/**
 * What the observation of one commit knows: the node, the global transaction id, the number of
 * branches and, once the commit has ended, its outcome. A {@link CommitObservationConvention}
 * turns it into names and key values. Its phases are {@link CommitPhaseObservationContext}s.
 */
public final class CommitObservationContext extends Observation.Context {
    private final String nodeId;
    private final String gtrid;
    private final int branches;
    private volatile TransactionOutcome outcome;

    public CommitObservationContext(String nodeId, String gtrid, int branches) {
        this.nodeId = nodeId;
        this.gtrid = gtrid;
        this.branches = branches;
    }

    public String nodeId() {
        return nodeId;
    }

    /** The global transaction id (high cardinality: a span attribute, never a metric tag). */
    public String gtrid() {
        return gtrid;
    }

    public int branches() {
        return branches;
    }

    /** How the commit ended; null while it runs. */
    public TransactionOutcome outcome() {
        return outcome;
    }

    void outcome(TransactionOutcome outcome) {
        this.outcome = outcome;
    }
}
