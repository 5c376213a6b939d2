package io.quorumtx.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and key values of the observations of a commit's phases (prepare, decision, phase 2).
 * Implement it, or extend {@link DefaultCommitPhaseObservationConvention}, and pass it to
 * {@link QuorumTxObservations.Builder#phaseConvention}; a global convention registered on the
 * {@code ObservationRegistry} is honoured as well.
 */
public interface CommitPhaseObservationConvention extends ObservationConvention<CommitPhaseObservationContext> {
    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof CommitPhaseObservationContext;
    }
}
