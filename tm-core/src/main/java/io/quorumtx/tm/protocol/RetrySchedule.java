package io.quorumtx.tm.protocol;

import java.time.Duration;
import java.util.Objects;

/**
 * How the {@link Phase2Retrier} spaces and bounds its retries of one transaction: the first retry
 * waits {@code initialDelay}, each next one twice as long, at most {@code maxDelay}; after
 * {@code maxAttempts} retries that left a branch unfinished, the transaction is handed to the
 * recovery manager (which keeps re-driving it from the commit log on every pass) instead of
 * occupying the retrier for ever.
 */
public record RetrySchedule(Duration initialDelay, Duration maxDelay, int maxAttempts) {
    public RetrySchedule {
        Objects.requireNonNull(initialDelay, "initialDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (initialDelay.isNegative() || initialDelay.isZero() || maxDelay.compareTo(initialDelay) < 0) {
            throw new IllegalArgumentException("Retry delays must be positive with maxDelay >= initialDelay, got "
                    + initialDelay + " and " + maxDelay);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
    }
}
