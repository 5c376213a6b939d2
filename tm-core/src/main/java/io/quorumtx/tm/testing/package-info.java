/**
 * Crash hooks, for crash tests only: the named points of the commit path
 * ({@link io.quorumtx.tm.testing.CrashPoint}) where a test's {@link io.quorumtx.tm.testing.CrashInjector}
 * may halt the JVM, and the local log's {@link io.quorumtx.tm.testing.TornAppendHook}. They ship in
 * the main jar because the crash tests kill real child JVMs that run production code; unset (the
 * default), each costs one null check. Applications never set them.
 *
 * <p>Not to be confused with tm-core's test-jar, whose fixtures live in {@code io.quorumtx.tm.testkit}.
 */
package io.quorumtx.tm.testing;
