package io.quorumtx.recovery.cli;

import io.quorumtx.recovery.output.Json;
import io.quorumtx.recovery.output.LogView;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.LogInspection;
import java.io.PrintStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code quorumtx log verify}: checks every frame and CRC and says what opening the log would do,
 * without doing it: a torn tail is reported, not cut.
 */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = {"Check every frame and CRC of the commit log without modifying anything.",
            "Reports torn tails and corrupt frames with their offsets, and the commits that are unfinished"
                + " (decided COMMIT, END not yet logged). The log holds only decisions (presumed abort): an undecided"
                + " transaction shows up as a prepared branch in a database, which 'quorumtx scan' lists."},
        footer = ExitCodes.HELP + "%n  (verify: 0 intact and nothing unfinished, 1 intact with unfinished commits,"
                + "%n   2 damaged or unreadable)")
public final class LogVerifyCommand extends ToolCommand {

    @Mixin
    LogSource source;

    @Option(names = "--json", description = "Machine-readable output on stdout.")
    boolean json;

    public LogVerifyCommand(CliContext context) {
        super(context);
    }

    @Override
    public boolean jsonOutput() {
        return json;
    }

    @Override
    public Integer call() {
        LogInspection log = source.inspect();
        int exit = exitCode(log);
        if (json) {
            new Json().print(context.out(), LogView.of("log verify", log, false, exit));
            return exit;
        }
        PrintStream out = context.out();
        printHeader(out, log);
        long frames = log.segments().stream().mapToLong(LogInspection.SegmentInfo::frames).sum();
        out.printf("%d segment(s), %d intact frame(s)%s%n", log.segments().size(), frames,
                log.clean() ? ", every CRC valid: the log is intact" : "");
        printFindings(out, log);
        if (!log.clean()) {
            context.err().println("Commit log " + log.directory() + " is damaged: " + log.problems().size()
                    + " problem(s), listed above. Nothing was changed.");
        }
        return exit;
    }

    static int exitCode(LogInspection log) {
        if (!log.clean()) {
            return ExitCodes.BAD_INPUT;
        }
        return log.unfinished().isEmpty() ? ExitCodes.OK : ExitCodes.IN_DOUBT;
    }

    static void printHeader(PrintStream out, LogInspection log) {
        out.printf("Commit log %s (node %s)%n", log.directory(), log.nodeId().orElse("unknown: no node-id file"));
        if (log.probablyRunning()) {
            out.println("The log is locked: its node is running. This is a snapshot; a torn tail at the end of the"
                    + " newest segment may be a write in progress.");
        }
    }

    static void printFindings(PrintStream out, LogInspection log) {
        for (LogInspection.Problem p : log.problems()) {
            out.printf("DAMAGE %s: %s%n", p.kind(), p.description());
        }
        if (log.unfinished().isEmpty()) {
            out.println("unfinished commits: none");
        } else {
            out.printf("unfinished commits: %d (decided COMMIT, END not logged: branches may still be prepared)%n",
                    log.unfinished().size());
            for (CommitRecord r : log.unfinished()) {
                out.printf("  %s  decided %s  branches %s%n", r.gtrid(), Json.time(r.decidedAtMillis()),
                        LogDumpCommand.branches(r.branches()));
            }
        }
    }
}
