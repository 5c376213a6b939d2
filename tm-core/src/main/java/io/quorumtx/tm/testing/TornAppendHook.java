package io.quorumtx.tm.testing;

/**
 * For crash tests only: called on a local commit log's writer thread after part of the frame of a
 * COMMIT record has been written and forced, and before the rest is. A crash test halts the JVM
 * here, leaving a torn record on disk; if the hook returns, the whole frame is then written over
 * the partial one and the log carries on. When unset (the default) the writer pays one null check
 * per batch. Set with {@code LocalCommitLog.Options.withTornAppendHook}, or through the manager's
 * builder, whose {@link CrashInjector} reaches {@link CrashPoint#LOG_APPEND_TORN} from here.
 */
@FunctionalInterface
public interface TornAppendHook {
    void partialCommitFrameForced(String gtrid);
}
