package io.quorumtx.it.crash;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/** Polls a condition until it holds or a deadline passes: no sleep-and-hope in these tests. */
final class Deadline {
    private Deadline() {
    }

    interface Check {
        boolean holds() throws Exception;
    }

    static void await(String what, Duration within, Check condition) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Timed out after " + within + " waiting for " + what);
            }
            LockSupport.parkNanos(20_000_000);
        }
    }
}
