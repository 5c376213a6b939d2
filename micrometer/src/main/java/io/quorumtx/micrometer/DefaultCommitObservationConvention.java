package io.quorumtx.micrometer;

import io.micrometer.common.KeyValues;

/**
 * The default name and key values of a commit's observation: name {@value #NAME}, span name
 * {@code commit}; low cardinality {@code quorumtx.node} and {@code quorumtx.outcome}
 * (committed, rolled_back, timed_out, heuristic, in_doubt); high cardinality
 * {@code quorumtx.gtrid} and {@code quorumtx.branches}.
 *
 * <p>The observation names differ from the {@link QuorumTxMetrics} meter names on purpose: a
 * registry that also turns observations into timers (Spring Boot's does) then gets no second
 * {@code quorumtx.commit} with other tag keys, which some registries reject.
 */
public class DefaultCommitObservationConvention implements CommitObservationConvention {
    public static final String NAME = "quorumtx.transaction.commit";

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public String getContextualName(CommitObservationContext context) {
        return "commit";
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(CommitObservationContext context) {
        return KeyValues.of("quorumtx.node", context.nodeId(),
                "quorumtx.outcome", context.outcome() == null ? "none" : context.outcome().tagValue());
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(CommitObservationContext context) {
        return KeyValues.of("quorumtx.gtrid", context.gtrid(), "quorumtx.branches", Integer.toString(context.branches()));
    }
}
