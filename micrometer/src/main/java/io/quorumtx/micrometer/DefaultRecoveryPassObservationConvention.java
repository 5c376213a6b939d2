package io.quorumtx.micrometer;

import io.micrometer.common.KeyValues;
import io.quorumtx.tm.spi.RecoveryPassSummary;

/**
 * The default name and key values of a recovery pass's observation: name {@value #NAME}, span
 * name {@code recovery pass}; low cardinality {@code quorumtx.node} and {@code quorumtx.result}
 * (completed, failed, or none while it runs); high cardinality the pass's counts
 * ({@code quorumtx.recovery.committed}, {@code .rolled_back}, {@code .left_in_doubt},
 * {@code .heuristics}, {@code .unreachable}).
 */
public class DefaultRecoveryPassObservationConvention implements RecoveryPassObservationConvention {
    public static final String NAME = "quorumtx.recovery";

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public String getContextualName(RecoveryPassObservationContext context) {
        return "recovery pass";
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(RecoveryPassObservationContext context) {
        RecoveryPassSummary s = context.summary();
        return KeyValues.of("quorumtx.node", context.nodeId(),
                "quorumtx.result", s == null ? "none" : s.completed() ? "completed" : "failed");
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(RecoveryPassObservationContext context) {
        RecoveryPassSummary s = context.summary();
        if (s == null) {
            return KeyValues.empty();
        }
        return KeyValues.of("quorumtx.recovery.committed", Integer.toString(s.committed()),
                "quorumtx.recovery.rolled_back", Integer.toString(s.rolledBack()),
                "quorumtx.recovery.left_in_doubt", Integer.toString(s.leftInDoubt()),
                "quorumtx.recovery.heuristics", Integer.toString(s.heuristics()),
                "quorumtx.recovery.unreachable", Integer.toString(s.unreachableResources()));
    }
}
