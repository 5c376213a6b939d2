package io.quorumtx.tm.log;

/**
 * The log could not confirm that a record is durable.
 *
 * <p>{@code definitelyNotWritten} is true only when no byte of the record can have reached the
 * log (for example the log was already closed or had failed before this record was queued).
 * Then the caller may still abort. Otherwise the record may or may not survive a crash, so the
 * transaction's outcome is in doubt and its prepared branches must be left to recovery.
 */
public class CommitLogException extends RuntimeException {
    private final boolean definitelyNotWritten;

    public CommitLogException(String message, boolean definitelyNotWritten, Throwable cause) {
        super(message, cause);
        this.definitelyNotWritten = definitelyNotWritten;
    }

    public boolean definitelyNotWritten() {
        return definitelyNotWritten;
    }
}
