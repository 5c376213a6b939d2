package io.quorumtx.tm.testing;

/**
 * Called when the commit path reaches a {@link CrashPoint}; for crash tests only. A crash test's
 * child JVM passes one that calls {@code Runtime.getRuntime().halt(...)} at the point it wants to
 * die at (a halt, not an exception: no finally blocks, no shutdown hooks, like {@code kill -9}).
 *
 * <p>Set with {@code QuorumTransactionManagerBuilder.crashInjector}. When none is set the check is
 * one null test of a final field per point, so production pays nothing. The injector runs on the
 * committing thread, or for {@link CrashPoint#LOG_APPEND_TORN} on the commit log's writer thread;
 * returning normally lets the transaction carry on as if nothing happened.
 */
@FunctionalInterface
public interface CrashInjector {
    void reached(CrashPoint point, String gtrid);
}
