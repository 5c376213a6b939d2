package io.quorumtx.micrometer;

import io.micrometer.observation.Observation;
import io.quorumtx.tm.spi.RecoveryPassSummary;

/** What the observation of one recovery pass knows: the node and, once it has ended, what it did. */
public final class RecoveryPassObservationContext extends Observation.Context {
    private final String nodeId;
    private volatile RecoveryPassSummary summary;

    public RecoveryPassObservationContext(String nodeId) {
        this.nodeId = nodeId;
    }

    public String nodeId() {
        return nodeId;
    }

    /** What the pass did; null while it runs. */
    public RecoveryPassSummary summary() {
        return summary;
    }

    void summary(RecoveryPassSummary summary) {
        this.summary = summary;
    }
}
