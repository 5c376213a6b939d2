package io.quorumtx.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and key values of the recovery-pass observations. Implement it, or extend
 * {@link DefaultRecoveryPassObservationConvention}, and pass it to
 * {@link QuorumTxObservations.Builder#recoveryConvention}.
 */
public interface RecoveryPassObservationConvention extends ObservationConvention<RecoveryPassObservationContext> {
    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof RecoveryPassObservationContext;
    }
}
