package io.quorumtx.recovery.cli;

/**
 * The tool's exit codes, the same for every command so scripts can act on them. When several
 * apply, the highest-ranked wins: HEURISTIC, then BAD_INPUT, then IN_DOUBT.
 */
public final class ExitCodes {
    /** Nothing is in doubt (for the log commands: the log is intact). */
    public static final int OK = 0;
    /** In-doubt branches remain (for {@code log verify}: the log has undecided or unfinished work). */
    public static final int IN_DOUBT = 1;
    /** Bad configuration or input (a typo, a missing directory, a damaged log), an unreachable database, or a refused request. */
    public static final int BAD_INPUT = 2;
    /** A heuristic outcome: a database decided a branch on its own; an operator must look. */
    public static final int HEURISTIC = 3;

    /** The help text every command shows. */
    public static final String HELP = "%nExit codes:%n"
            + "  0  nothing in doubt%n"
            + "  1  in-doubt branches remain%n"
            + "  2  bad configuration or input, an unreachable database, or a refused request%n"
            + "  3  a heuristic outcome needs an operator";

    private ExitCodes() {
    }
}
