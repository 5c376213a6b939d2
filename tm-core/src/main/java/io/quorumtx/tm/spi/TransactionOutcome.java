package io.quorumtx.tm.spi;

import java.util.Locale;

/**
 * How a transaction ended, as a {@link TransactionObserver} is told: the five values monitoring
 * counts ({@code quorumtx.transactions}, tag {@code outcome}). A small closed set on purpose:
 * every value is a time series, and an operator acts differently on each.
 */
public enum TransactionOutcome {
    /** Every branch committed (or was handed to the phase-2 retrier after a durable COMMIT). */
    COMMITTED,
    /** Rolled back: by the application, a NO vote, a failed prepare, or a decision that could not be logged. */
    ROLLED_BACK,
    /** Rolled back because its timeout passed before it completed. */
    TIMED_OUT,
    /** A resource decided against the transaction's decision on its own (or its outcome is unknown): an operator must look. */
    HEURISTIC,
    /** The COMMIT record may or may not be durable: the prepared branches are left to recovery. */
    IN_DOUBT;

    /** The lower-case name used as a tag value: {@code committed}, {@code rolled_back}, ... */
    public String tagValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
