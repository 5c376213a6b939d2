package io.quorumtx.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and key values of the commit observations (the commit and its prepare, decision and
 * phase-2 children). Implement it, or extend {@link DefaultCommitObservationConvention}, to change
 * them, and pass it to {@link QuorumTxObservations.Builder#commitConvention}; a global convention
 * registered on the {@code ObservationRegistry} is honoured as well.
 */
public interface CommitObservationConvention extends ObservationConvention<CommitObservationContext> {
    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof CommitObservationContext;
    }
}
