package io.quorumtx.recovery.cli;

/**
 * An expected failure of a command, with the one message the operator sees and the exit code
 * (see {@link ExitCodes}). Printed without a stack trace unless {@code --verbose}.
 */
public final class ToolException extends RuntimeException {
    private final int exitCode;

    public ToolException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public ToolException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
