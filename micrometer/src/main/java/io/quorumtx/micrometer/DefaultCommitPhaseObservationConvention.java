package io.quorumtx.micrometer;

import io.micrometer.common.KeyValues;
import io.quorumtx.tm.spi.CommitPhase;

/**
 * The default name and key values of a commit phase's observation: name {@value #NAME}; span
 * names {@code prepare}, {@code decision} and {@code phase2}; low cardinality {@code quorumtx.node}
 * and {@code quorumtx.phase} (prepare, log, phase2, as the {@code quorumtx.commit.phase} meter);
 * high cardinality {@code quorumtx.gtrid}.
 */
public class DefaultCommitPhaseObservationConvention implements CommitPhaseObservationConvention {
    public static final String NAME = "quorumtx.transaction.phase";

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public String getContextualName(CommitPhaseObservationContext context) {
        return context.phase() == CommitPhase.LOG ? "decision" : context.phase().tagValue();
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(CommitPhaseObservationContext context) {
        return KeyValues.of("quorumtx.node", context.nodeId(), "quorumtx.phase", context.phase().tagValue());
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(CommitPhaseObservationContext context) {
        return KeyValues.of("quorumtx.gtrid", context.gtrid());
    }
}
