package io.quorumtx.lock;

/**
 * The monotonic clock a holder measures its certain validity by ({@link System#nanoTime()});
 * tests put one they move by hand in its place ({@code Builder.ticker}), so that "the lease is
 * nearly over" is a statement of the test, not a race with a loaded machine.
 */
@FunctionalInterface
interface Ticker {
    Ticker SYSTEM = System::nanoTime;

    long nanoTime();
}
