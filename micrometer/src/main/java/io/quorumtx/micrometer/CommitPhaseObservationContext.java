package io.quorumtx.micrometer;

import io.micrometer.observation.Observation;
import io.quorumtx.tm.spi.CommitPhase;

/**
 * What the observation of one phase of a commit (a child of the commit's observation) knows: the
 * node, the global transaction id and the phase.
 */
public final class CommitPhaseObservationContext extends Observation.Context {
    private final String nodeId;
    private final String gtrid;
    private final CommitPhase phase;

    public CommitPhaseObservationContext(String nodeId, String gtrid, CommitPhase phase) {
        this.nodeId = nodeId;
        this.gtrid = gtrid;
        this.phase = phase;
    }

    public String nodeId() {
        return nodeId;
    }

    /** The global transaction id (high cardinality: a span attribute, never a metric tag). */
    public String gtrid() {
        return gtrid;
    }

    public CommitPhase phase() {
        return phase;
    }
}
