package io.quorumtx.recovery.cli;

import io.quorumtx.recovery.output.Json;
import io.quorumtx.recovery.output.LogView;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.LogInspection;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code quorumtx log dump}: every frame of every segment, as the log's own decoder reads it. */
@Command(
        name = "dump",
        mixinStandardHelpOptions = true,
        description = {"Print every frame of the commit log.",
            "Segment, offset, type, gtrid, branches and decision time of every intact frame, then any damage and"
                + " the unfinished commits. Reads only; never takes the log's lock."},
        footer = ExitCodes.HELP + "%n  (dump: 0 intact, 1 unfinished commits, 2 damaged or unreadable)")
public final class LogDumpCommand extends ToolCommand {

    @Mixin
    LogSource source;

    @Option(names = "--json", description = "Machine-readable output on stdout.")
    boolean json;

    public LogDumpCommand(CliContext context) {
        super(context);
    }

    @Override
    public boolean jsonOutput() {
        return json;
    }

    @Override
    public Integer call() {
        LogInspection log = source.inspect();
        int exit = LogVerifyCommand.exitCode(log);
        if (json) {
            new Json().print(context.out(), LogView.of("log dump", log, true, exit));
            return exit;
        }
        PrintStream out = context.out();
        LogVerifyCommand.printHeader(out, log);
        Path current = null;
        for (LogInspection.Frame f : log.frames()) {
            if (!f.segment().equals(current)) {
                current = f.segment();
                Path segment = current;
                log.segments().stream().filter(s -> s.file().equals(segment)).findFirst().ifPresent(s ->
                        out.printf("segment %s (%d bytes, %d frames)%n", s.file().getFileName(), s.bytes(), s.frames()));
            }
            out.printf("  @%-8d %-6s %s%s%n", f.offset(), f.type(), f.gtrid(), switch (f.type()) {
                case COMMIT -> "  decided " + Json.time(f.decidedAtMillis()) + "  branches " + branches(f.branches());
                case BRANCH_DONE -> "  finished branch " + branches(f.branches());
                case END -> "";
            });
        }
        if (log.frames().isEmpty()) {
            out.println("no frames");
        }
        LogVerifyCommand.printFindings(out, log);
        return exit;
    }

    static String branches(List<BranchRecord> branches) {
        return branches.stream().map(b -> b.resourceName().equals(b.branchQualifier()) ? b.resourceName()
                : b.resourceName() + "/" + b.branchQualifier()).collect(Collectors.joining(", ", "[", "]"));
    }
}
