package io.quorumtx.tm.testkit;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waiting for something asynchronous to happen, with a deadline instead of a sleep-and-hope. */
public final class Conditions {
    private Conditions() {
    }

    /** Polls {@code condition} until it holds; fails with {@code what} once {@code within} has passed. */
    public static void await(String what, Duration within, BooleanSupplier condition) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Timed out after " + within + " waiting for: " + what);
            }
            LockSupport.parkNanos(2_000_000);
        }
    }
}
