package io.quorumtx.recovery.cli;

import io.quorumtx.recovery.config.ToolConfig;
import io.quorumtx.recovery.output.Json;
import io.quorumtx.recovery.output.RecoveryView;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.recovery.PlannedStep;
import io.quorumtx.tm.recovery.Recovery;
import io.quorumtx.tm.recovery.ScanResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code quorumtx scan}: every in-doubt branch in every configured database, with the logged
 * decision and what {@code resolve} would do. Reads the log without its lock and changes
 * nothing, so it is safe while the node runs (its own branches are then shown as left to it).
 */
@Command(
        name = "scan",
        mixinStandardHelpOptions = true,
        description = {"List every in-doubt branch in every configured database, and what resolve would do.",
            "For each branch: resource, Xid (gtrid and branch qualifier), owner node, age, the decision in the"
                + " commit log, and the planned action with its reason; for each database, whether it answered."
                + " Reads the log without its lock and changes nothing, so it is safe while the node runs (its"
                + " branches are then left to its own recovery manager)."},
        footer = ExitCodes.HELP)
public final class ScanCommand extends ToolCommand {

    @Option(names = "--config", paramLabel = "FILE", required = true, description = "The recovery configuration (properties).")
    Path config;

    @Option(names = "--json", description = "Machine-readable output on stdout.")
    boolean json;

    public ScanCommand(CliContext context) {
        super(context);
    }

    @Override
    public boolean jsonOutput() {
        return json;
    }

    @Override
    public Integer call() {
        ToolConfig toolConfig = RecoverySetup.loadConfig(config);
        if (toolConfig.paxos().isPresent()) {
            return replicated(toolConfig);
        }
        if (toolConfig.databaseLog().isPresent()) {
            return database(toolConfig);
        }
        java.util.Optional<String> missing = RecoverySetup.missingLogDirectory(toolConfig);
        if (missing.isPresent()) {
            return new LostLog(toolConfig, context, missing.get()).scan(json);
        }
        RecoverySetup setup = RecoverySetup.load(config);
        if (setup.holdsNoLog()) {
            return new LostLog(toolConfig, context, setup.noLogMessage()).scan(json);
        }
        List<RecoverableResource> resources = setup.resources(context);
        ScanResult scan;
        List<PlannedStep> plan;
        try (Progress progress = new Progress(context, resources.size())) {
            Recovery recovery = new Recovery(new ReadOnlyCommitLog(setup.log), progress.track(resources),
                    setup.liveness(), setup.config.safetyInterval());
            scan = recovery.scan();
            plan = recovery.plan(scan);
        }
        int exit = exitCode(setup, scan);
        RecoveryView view = new RecoveryView("scan", setup.logDirectory.toString(), setup.nodeId.orElse(null),
                setup.log.probablyRunning(), setup.problemViews(),
                setup.databaseViews(scan.branches(), scan.unreachableResources(), context),
                plan.stream().map(RecoveryView.BranchView::of).toList(),
                scan.unfinishedWithoutBranches().stream().map(RecoveryView.UnfinishedView::of).toList(),
                null, null, null, null, null, null, exit, null, RecoveryView.MarkerView.of(scan));
        if (json) {
            new Json().print(context.out(), view);
        } else {
            PrintStream out = context.out();
            TextReport.header(out, setup, view);
            TextReport.branches(out, view.branches());
            TextReport.markers(out, view.markers());
            TextReport.unfinished(out, "Logged commits without END and without a prepared branch",
                    setup.log.probablyRunning() ? "every branch finished; the running node writes its END"
                            : "every branch finished; resolve writes its END", view.unfinishedCommits());
        }
        explain(setup, scan);
        return exit;
    }

    /** Scan against the replicated log: decisions read from a majority of replicas, which the output names. */
    private int replicated(ToolConfig toolConfig) {
        LostLog.Replicated replicated = LostLog.openReplicated(toolConfig, context);
        if (replicated.setup() == null) {
            return new LostLog(toolConfig, context, replicated.unreadable()).scan(json);
        }
        try (PaxosSetup px = replicated.setup()) {
            List<RecoverableResource> resources = Databases.resources(toolConfig, context);
            ScanResult scan;
            List<PlannedStep> plan;
            try (Progress progress = new Progress(context, resources.size())) {
                Recovery recovery = new Recovery(px.log, progress.track(resources), px.liveness(),
                        toolConfig.safetyInterval());
                scan = recovery.scan();
                plan = recovery.plan(scan);
            }
            int exit = !scan.unreachableResources().isEmpty() ? ExitCodes.BAD_INPUT
                    : scan.branches().isEmpty() ? ExitCodes.OK : ExitCodes.IN_DOUBT;
            RecoveryView view = new RecoveryView("scan", "paxos:" + String.join(",", px.members.keySet()), null, false,
                    List.of(),
                    RecoverySetup.databaseViews(toolConfig, scan.branches(), scan.unreachableResources(), context),
                    plan.stream().map(RecoveryView.BranchView::of).toList(), List.of(),
                    null, null, null, null, null, null, exit, px.replicas,
                    RecoveryView.MarkerView.of(scan));
            if (json) {
                new Json().print(context.out(), view);
            } else {
                TextReport.header(context.out(), px.describeLog(), view);
                TextReport.branches(context.out(), view.branches());
                TextReport.markers(context.out(), view.markers());
            }
            scan.unreachableResources().forEach((name, error) -> context.err().println(context.scrub(
                    "Database " + name + " could not be reached: " + error)));
            return exit;
        }
    }

    /** Scan against the database commit log: decisions read from its rows, leases from its nodes table; writes nothing. */
    private int database(ToolConfig toolConfig) {
        try (DatabaseLogSetup db = DatabaseLogSetup.open(toolConfig, context)) {
            List<RecoverableResource> resources = Databases.resources(toolConfig, context);
            ScanResult scan;
            List<PlannedStep> plan;
            try (Progress progress = new Progress(context, resources.size())) {
                Recovery recovery = new Recovery(db.readOnly(), progress.track(resources), db.liveness(),
                        toolConfig.safetyInterval());
                scan = recovery.scan();
                plan = recovery.plan(scan);
            }
            int exit = !scan.unreachableResources().isEmpty() ? ExitCodes.BAD_INPUT
                    : scan.branches().isEmpty() ? ExitCodes.OK : ExitCodes.IN_DOUBT;
            RecoveryView view = new RecoveryView("scan", db.label(), null, false, List.of(),
                    RecoverySetup.databaseViews(toolConfig, scan.branches(), scan.unreachableResources(), context),
                    plan.stream().map(RecoveryView.BranchView::of).toList(),
                    scan.unfinishedWithoutBranches().stream().map(RecoveryView.UnfinishedView::of).toList(),
                    null, null, null, null, null, null, exit, null, RecoveryView.MarkerView.of(scan));
            if (json) {
                new Json().print(context.out(), view);
            } else {
                TextReport.header(context.out(), db.describeLog(), view);
                TextReport.branches(context.out(), view.branches());
                TextReport.markers(context.out(), view.markers());
                TextReport.unfinished(context.out(), "Logged commits whose row is not deleted yet, without a prepared"
                        + " branch", "every branch finished; the row is deleted by its node or by resolve",
                        view.unfinishedCommits());
            }
            scan.unreachableResources().forEach((name, error) -> context.err().println(context.scrub(
                    "Database " + name + " could not be reached: " + error)));
            return exit;
        }
    }

    private int exitCode(RecoverySetup setup, ScanResult scan) {
        if (setup.seriousDamage() || !scan.unreachableResources().isEmpty()) {
            return ExitCodes.BAD_INPUT;
        }
        return scan.branches().isEmpty() && scan.unfinishedWithoutBranches().isEmpty() ? ExitCodes.OK : ExitCodes.IN_DOUBT;
    }

    /** The one-line reason for a non-zero exit that is not simply "in doubt", on stderr. */
    private void explain(RecoverySetup setup, ScanResult scan) {
        scan.unreachableResources().forEach((name, error) -> context.err().println(context.scrub(
                "Database " + name + " could not be reached: " + error)));
        if (setup.seriousDamage()) {
            context.err().println("Commit log " + setup.logDirectory + " is damaged (see 'quorumtx log verify'): a"
                    + " COMMIT decision may have been lost, so resolve refuses to presume aborts.");
        }
    }
}
