package io.quorumtx.testsupport;

import java.time.Duration;
import java.util.concurrent.Callable;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * Waiting for something asynchronous to happen, with a deadline instead of a sleep-and-hope:
 * <a href="https://github.com/awaitility/awaitility">Awaitility</a>, set up once the way these
 * tests need it, so a call site reads as one line and every module waits the same way.
 *
 * <ul>
 *   <li>The condition runs in the calling thread ({@code pollInSameThread}): many conditions read
 *       state bound to the test's thread (the transaction associated with it).</li>
 *   <li>It is checked at once, then every {@value #INTERVAL_MILLIS} ms until the deadline.</li>
 *   <li>Uncaught exceptions of other threads are left alone: crash tests kill threads on purpose.</li>
 *   <li>An exception the condition throws fails the wait at once, unless the caller uses
 *       {@link #ignoringExceptions}.</li>
 * </ul>
 *
 * <p>Pick deadlines a loaded 2-core machine keeps (seconds, not hundreds of milliseconds): a wait
 * ends as soon as its condition holds, so a generous deadline costs nothing when all is well.
 */
public final class Poll {
    static final long INTERVAL_MILLIS = 10;

    private Poll() {
    }

    /** An Awaitility condition factory named {@code what} that gives up after {@code atMost}. */
    public static ConditionFactory within(Duration atMost, String what) {
        return Awaitility.await(what)
                .atMost(atMost)
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(INTERVAL_MILLIS))
                .pollInSameThread()
                .dontCatchUncaughtExceptions();
    }

    /** Polls {@code condition} until it holds; fails naming {@code what} once {@code atMost} has passed. */
    public static void until(String what, Duration atMost, Callable<Boolean> condition) {
        within(atMost, what).until(condition);
    }

    /**
     * As {@link #until}, for a condition that may throw while the system settles (a server
     * restarting, a child process not yet up): an {@link Exception} counts as "not yet" and the
     * last one becomes the cause of the timeout; an {@link Error} (a failed assertion) fails the
     * wait at once.
     */
    public static void ignoringExceptions(String what, Duration atMost, Callable<Boolean> condition) {
        within(atMost, what).ignoreExceptionsInstanceOf(Exception.class).until(condition);
    }
}
