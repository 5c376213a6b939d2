package io.quorumtx.tm.log;

/**
 * The log could not confirm that a record is durable, or could not be opened at all.
 *
 * <p>Made by a factory that says what happened, which decides what the caller may do:
 * <ul>
 *   <li>{@link #notWritten}: no byte of the record can have reached the log (for example the log
 *       was already closed or had failed before this record was queued; for the replicated log,
 *       the acceptors chose ABORT). The caller may still abort.</li>
 *   <li>{@link #inDoubt}: the record may or may not survive a crash, so the transaction's outcome
 *       is in doubt and its prepared branches must be left to recovery.</li>
 *   <li>{@link #cannotOpen}: the log's directory or files cannot be used (missing, locked,
 *       unreadable, of another format); nothing was written through it.</li>
 * </ul>
 * {@link #definitelyNotWritten()} is false only for {@link #inDoubt}.
 */
public class CommitLogException extends RuntimeException {
    private final boolean definitelyNotWritten;

    private CommitLogException(String message, boolean definitelyNotWritten, Throwable cause) {
        super(message, cause);
        this.definitelyNotWritten = definitelyNotWritten;
    }

    /** The record cannot have reached the log: the transaction may still roll back. */
    public static CommitLogException notWritten(String message) {
        return new CommitLogException(message, true, null);
    }

    /** As {@link #notWritten(String)}, caused by {@code cause}. */
    public static CommitLogException notWritten(String message, Throwable cause) {
        return new CommitLogException(message, true, cause);
    }

    /** The record may or may not survive a crash: the outcome is left to recovery. */
    public static CommitLogException inDoubt(String message) {
        return new CommitLogException(message, false, null);
    }

    /** As {@link #inDoubt(String)}, caused by {@code cause}. */
    public static CommitLogException inDoubt(String message, Throwable cause) {
        return new CommitLogException(message, false, cause);
    }

    /** The log (its directory, lock or files) cannot be opened or read; nothing was written through it. */
    public static CommitLogException cannotOpen(String message) {
        return new CommitLogException(message, true, null);
    }

    /** As {@link #cannotOpen(String)}, caused by {@code cause}. */
    public static CommitLogException cannotOpen(String message, Throwable cause) {
        return new CommitLogException(message, true, cause);
    }

    /**
     * A new exception saying the same as this one (message, {@link #definitelyNotWritten()}, cause),
     * thrown by a thread that waited for another's failure so that its stack trace shows where it waited.
     */
    public CommitLogException rethrownHere() {
        return new CommitLogException(getMessage(), definitelyNotWritten, getCause());
    }

    /** True unless the record may have reached the log ({@link #inDoubt}): then the caller may still abort. */
    public boolean definitelyNotWritten() {
        return definitelyNotWritten;
    }
}
