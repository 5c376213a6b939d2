package io.quorumtx.recovery.cli;

import io.quorumtx.recovery.config.ToolConfig;
import io.quorumtx.recovery.output.Json;
import io.quorumtx.recovery.output.RecoveryView;
import io.quorumtx.tm.protocol.HeuristicOutcome;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.LocalCommitLog;
import io.quorumtx.tm.log.LogInspection;
import io.quorumtx.tm.recovery.InDoubtBranch;
import io.quorumtx.tm.recovery.Recovery;
import io.quorumtx.tm.recovery.RecoveryAction;
import io.quorumtx.tm.recovery.ResolveReport;
import io.quorumtx.tm.recovery.ScanResult;
import io.quorumtx.tm.xid.QuorumXid;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code quorumtx resolve}: finishes in-doubt branches as the transaction manager's own recovery
 * would (commit what the log decided, presume abort for the rest), or applies an operator's
 * explicit decision for one transaction.
 *
 * <p><b>Why it must hold the log.</b> Presumed abort is only safe once nobody can still write a
 * COMMIT for the transaction. Opening the {@link LocalCommitLog} takes its file lock, which
 * proves the node is not running and keeps it from starting meanwhile; if the lock is held, the
 * node is alive and its own recovery manager will finish the work, so the tool refuses. A dry
 * run reads the log without its lock and writes nothing.
 */
@Command(
        name = "resolve",
        mixinStandardHelpOptions = true,
        description = {"Finish in-doubt branches as the transaction manager's recovery would.",
            "Commits branches whose transaction has a logged COMMIT, rolls back those with none (presumed abort),"
                + " leaves other nodes' branches alone, and writes END for finished commits. The node must be"
                + " stopped: resolve takes its commit log's lock, and refuses (exit 2) if the node holds it."
                + " --dry-run prints the plan and changes nothing. --commit/--rollback GTRID applies an operator's"
                + " explicit decision to one transaction, after typing yes (or with --yes)."},
        footer = ExitCodes.HELP)
public final class ResolveCommand extends ToolCommand {

    @Option(names = "--config", paramLabel = "FILE", required = true, description = "The recovery configuration (properties).")
    Path config;

    @Option(names = "--dry-run", description = "Print the plan; change nothing.")
    boolean dryRun;

    @Option(names = "--json", description = "Machine-readable output on stdout.")
    boolean json;

    @Option(names = "--yes", description = "Do not ask for confirmation of --commit/--rollback.")
    boolean yes;

    @Option(names = "--assume-log-lost", paramLabel = "NODE[,NODE...]", arity = "0..1", fallbackValue = "",
            description = "The commit log of these nodes is lost for good (every copy), and they are not running:"
            + " roll back their three-phase-commit transactions that have no pre-commit marker in any participant."
            + " Other nodes' branches are left. Asserts also that the configuration names every database and"
            + " participant those transactions used.")
    String assumeLogLost;

    @Option(names = "--skip-unreachable", description = "Resolve the databases that answer even if others do not"
            + " (by default an unreachable database stops resolve before it changes anything).")
    boolean skipUnreachable;

    @ArgGroup(exclusive = true)
    OperatorDecision override;

    static final class OperatorDecision {
        @Option(names = "--commit", paramLabel = "GTRID", description = "Commit every branch of this transaction (operator override).")
        String commit;

        @Option(names = "--rollback", paramLabel = "GTRID", description = "Roll back every branch of this transaction (operator override).")
        String rollback;

        String gtrid() {
            return commit != null ? commit : rollback;
        }

        RecoveryAction action() {
            return commit != null ? RecoveryAction.COMMIT : RecoveryAction.ROLLBACK;
        }
    }

    public ResolveCommand(CliContext context) {
        super(context);
    }

    @Override
    public boolean jsonOutput() {
        return json;
    }

    @Override
    public Integer call() {
        if (override != null && dryRun) {
            throw new ToolException(ExitCodes.BAD_INPUT, "--dry-run cannot be combined with --commit/--rollback;"
                    + " use 'quorumtx scan' to see the transaction's branches");
        }
        if (override != null && !QuorumXid.isQuorumGtrid(override.gtrid())) {
            throw new ToolException(ExitCodes.BAD_INPUT, "'" + override.gtrid() + "' is not a QuorumTX gtrid (node.epoch.seq.begin,"
                    + " as 'quorumtx scan' shows it). Nothing was changed.");
        }
        java.util.Set<String> lostLogOwners = LostLog.owners(assumeLogLost);
        ToolConfig toolConfig = RecoverySetup.loadConfig(config);
        if (toolConfig.paxos().isPresent()) {
            return replicated(toolConfig, lostLogOwners);
        }
        if (toolConfig.databaseLog().isPresent()) {
            return database(toolConfig);
        }
        if (override == null) {
            java.util.Optional<String> missing = RecoverySetup.missingLogDirectory(toolConfig);
            if (missing.isPresent()) {
                return withoutLog(toolConfig, missing.get(), lostLogOwners);
            }
        }
        RecoverySetup setup = RecoverySetup.load(config);
        if (setup.log.probablyRunning()) {
            throw nodeRunning(setup, null);
        }
        if (override == null && setup.seriousDamage()) {
            return withoutLog(toolConfig, "Commit log " + setup.logDirectory + " is damaged: "
                    + setup.log.problems().stream().filter(LogInspection.Problem::serious)
                    .map(LogInspection.Problem::description).collect(Collectors.joining("; "))
                    + " (inspect it with 'quorumtx log verify').", lostLogOwners);
        }
        if (override == null && setup.holdsNoLog()) {
            return withoutLog(toolConfig, setup.noLogMessage(), lostLogOwners);
        }
        if (assumeLogLost != null) {
            throw new ToolException(ExitCodes.BAD_INPUT, "--assume-log-lost applies only when the commit log cannot"
                    + " be read, and " + setup.logDirectory + " can: resolve decides from it. Nothing was changed.");
        }
        setup.requireNodeId();
        List<RecoverableResource> resources = setup.resources(context);
        if (!dryRun) {
            ScanResult before;
            try (Progress progress = new Progress(context, resources.size())) { // closed before any prompt
                before = recovery(new ReadOnlyCommitLog(setup.log), progress.track(resources), setup).scan();
            }
            requireReachable(before);
            if (override != null) {
                confirm(setup, before);
            }
        }
        ResolveReport report;
        try (Progress progress = new Progress(context, resources.size())) {
            List<RecoverableResource> tracked = progress.track(resources);
            if (dryRun) {
                report = recovery(new ReadOnlyCommitLog(setup.log), tracked, setup).resolve(true);
            } else {
                try (LocalCommitLog log = open(setup)) {
                    Recovery recovery = recovery(log, tracked, setup);
                    report = override == null ? recovery.resolve(false) : override(recovery);
                }
            }
        }
        int exit = exitCode(report);
        print(setup, report, exit);
        report.unreachableResources().forEach((name, error) -> context.err().println(context.scrub(
                "Database " + name + " could not be reached: " + error)));
        return exit;
    }

    /**
     * Resolve against the replicated log: the tool takes over the unfinished transactions of the
     * members that are gone (offline: all of them) through Paxos, then finishes every branch as
     * the chosen values say. Operator overrides are refused: a decision chosen through Paxos is
     * final, and an undecided one is settled by the takeover.
     */
    private int replicated(ToolConfig toolConfig, java.util.Set<String> lostLogOwners) {
        if (override != null) {
            throw new ToolException(ExitCodes.BAD_INPUT, "--commit and --rollback do not apply to the replicated log:"
                    + " a decision chosen through Paxos is final, and resolve settles undecided transactions with a"
                    + " takeover (COMMIT if any replica accepted it, else ABORT). Nothing was changed.");
        }
        LostLog.Replicated replicated = LostLog.openReplicated(toolConfig, context);
        if (replicated.setup() == null) {
            return withoutLog(toolConfig, replicated.unreadable(), lostLogOwners);
        }
        PaxosSetup opened = replicated.setup();
        if (assumeLogLost != null) {
            opened.close();
            throw new ToolException(ExitCodes.BAD_INPUT, "--assume-log-lost applies only when the commit log cannot"
                    + " be read, and a majority of the replicated log's replicas answered: resolve decides from it."
                    + " Nothing was changed.");
        }
        try (PaxosSetup px = opened) {
            List<RecoverableResource> resources = Databases.resources(toolConfig, context);
            if (!dryRun) {
                try (Progress progress = new Progress(context, resources.size())) {
                    requireReachable(new Recovery(px.log, progress.track(resources), px.liveness(),
                            toolConfig.safetyInterval()).scan());
                }
                for (String owner : px.goneOwners()) {
                    px.log.takeOverInstancesOf(owner);
                }
            }
            ResolveReport report;
            try (Progress progress = new Progress(context, resources.size())) {
                report = new Recovery(px.log, progress.track(resources), px.liveness(), toolConfig.safetyInterval())
                        .resolve(dryRun);
            }
            int exit = exitCode(report);
            print("paxos:" + String.join(",", px.members.keySet()), px.describeLog(), null, List.of(), RecoverySetup.databaseViews(toolConfig,
                    report.steps().stream().map(s -> s.step().branch()).toList(), report.unreachableResources(),
                    context), report, exit, px.replicas);
            report.unreachableResources().forEach((name, error) -> context.err().println(context.scrub(
                    "Database " + name + " could not be reached: " + error)));
            return exit;
        }
    }

    /**
     * Resolve against the database commit log: a branch whose gtrid has a COMMIT row is committed;
     * an undecided one of an owner whose lease lapsed gets an ABORT row first (which fails if the
     * coordinator's COMMIT won) and is then rolled back; owners with a live lease are left alone.
     * Operator overrides are refused: a row, once committed, is the decision.
     */
    private int database(ToolConfig toolConfig) {
        if (override != null) {
            throw new ToolException(ExitCodes.BAD_INPUT, "--commit and --rollback do not apply to the database commit"
                    + " log: a decision row, once committed, is final, and resolve settles an undecided transaction by"
                    + " inserting its ABORT row (which fails if the coordinator's COMMIT is there). Nothing was changed.");
        }
        if (assumeLogLost != null) {
            throw new ToolException(ExitCodes.BAD_INPUT, "--assume-log-lost applies only when the commit log cannot"
                    + " be read; the database commit log is read from its database. Nothing was changed.");
        }
        try (DatabaseLogSetup db = DatabaseLogSetup.open(toolConfig, context)) {
            List<RecoverableResource> resources = Databases.resources(toolConfig, context);
            CommitLog log = dryRun ? db.readOnly() : db.log;
            if (!dryRun) {
                try (Progress progress = new Progress(context, resources.size())) {
                    requireReachable(new Recovery(db.readOnly(), progress.track(resources), db.liveness(),
                            toolConfig.safetyInterval()).scan());
                }
            }
            ResolveReport report;
            try (Progress progress = new Progress(context, resources.size())) {
                report = new Recovery(log, progress.track(resources), db.liveness(), toolConfig.safetyInterval())
                        .resolve(dryRun);
            }
            int exit = exitCode(report);
            print(db.label(), db.describeLog(), null, List.of(), RecoverySetup.databaseViews(toolConfig,
                    report.steps().stream().map(s -> s.step().branch()).toList(), report.unreachableResources(),
                    context), report, exit, null);
            report.unreachableResources().forEach((name, error) -> context.err().println(context.scrub(
                    "Database " + name + " could not be reached: " + error)));
            return exit;
        }
    }

    /** Resolve when the log cannot be read: from three-phase-commit markers only (see {@link LostLog}). */
    private int withoutLog(ToolConfig toolConfig, String why, java.util.Set<String> lostLogOwners) {
        LostLog lost = new LostLog(toolConfig, context, why);
        ResolveReport report = lost.resolve(dryRun, lostLogOwners, this::requireReachable);
        int exit = LostLog.exitCode(report);
        print("unreadable: " + why, "Commit log: CANNOT BE READ (" + why + ")", null, List.of(),
                RecoverySetup.databaseViews(toolConfig, report.steps().stream().map(s -> s.step().branch()).toList(),
                        report.unreachableResources(), context), report, exit, null);
        report.unreachableResources().forEach((name, error) -> context.err().println(context.scrub(
                "Database " + name + " could not be reached: " + error)));
        lost.explain(report, lostLogOwners);
        return exit;
    }

    private ResolveReport override(Recovery recovery) {
        try {
            return recovery.override(override.gtrid(), override.action());
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, e.getMessage() + ". Nothing was changed.", e);
        }
    }

    private Recovery recovery(CommitLog log, List<RecoverableResource> resources, RecoverySetup setup) {
        return new Recovery(log, resources, setup.liveness(), setup.config.safetyInterval());
    }

    private LocalCommitLog open(RecoverySetup setup) {
        try {
            return LocalCommitLog.open(setup.logDirectory);
        } catch (CommitLogException e) {
            if (e.getMessage() != null && (e.getMessage().contains("in use by another") || e.getMessage().contains("already open"))) {
                throw nodeRunning(setup, e);
            }
            throw new ToolException(ExitCodes.BAD_INPUT, e.getMessage() + " Nothing was changed.", e);
        }
    }

    private static ToolException nodeRunning(RecoverySetup setup, Throwable cause) {
        return new ToolException(ExitCodes.BAD_INPUT, "Node " + setup.nodeId.orElse("(unknown)") + " is running: its"
                + " commit log " + setup.logDirectory + " is locked. Its own recovery manager will finish its in-doubt"
                + " transactions; to resolve them with this tool, stop the node first. Nothing was changed.", cause);
    }

    /**
     * Every configured database must answer before anything is changed, unless the operator says
     * otherwise: an unreachable database is usually a wrong URL or password, and the operator should
     * see that before a partial run, even though finishing the others would be safe.
     */
    private void requireReachable(ScanResult before) {
        if (before.unreachableResources().isEmpty() || skipUnreachable) {
            return;
        }
        String which = before.unreachableResources().entrySet().stream()
                .map(e -> "database " + e.getKey() + " could not be reached: " + e.getValue())
                .collect(Collectors.joining("; "));
        throw new ToolException(ExitCodes.BAD_INPUT, context.scrub(Character.toUpperCase(which.charAt(0))
                + which.substring(1) + ". Nothing was changed. Fix its connection or configuration, or add"
                + " --skip-unreachable to resolve the other databases now."));
    }

    /** Shows what the override touches and asks the operator to type yes, unless --yes. */
    private void confirm(RecoverySetup setup, ScanResult before) {
        String gtrid = override.gtrid();
        List<InDoubtBranch> branches = before.branches().stream().filter(b -> b.gtrid().equals(gtrid)).toList();
        String verb = override.action() == RecoveryAction.COMMIT ? "COMMIT" : "ROLL BACK";
        String what = branches.isEmpty() ? "no prepared branch of it was found in the configured databases"
                : "branches in " + branches.stream().map(InDoubtBranch::resourceName).collect(Collectors.joining(", "))
                + " (logged decision: " + setup.log.decision(gtrid) + ")";
        PrintStream err = context.err();
        err.println("Operator override: " + verb + " transaction " + gtrid + ": " + what + ".");
        if (yes) {
            return;
        }
        if (!context.prompter().interactive()) {
            throw new ToolException(ExitCodes.BAD_INPUT, "Refusing to " + verb.toLowerCase(java.util.Locale.ROOT)
                    + " " + gtrid + " without confirmation: there is no console to ask. Add --yes to confirm."
                    + " Nothing was changed.");
        }
        String answer = context.prompter().readLine("This overrides QuorumTX's decision rules. Type yes to " + verb
                + " " + gtrid + ": ");
        if (answer == null || !answer.trim().equals("yes")) {
            throw new ToolException(ExitCodes.IN_DOUBT, "Not confirmed; nothing was changed.");
        }
    }

    private static String summary(ResolveReport report) {
        java.util.Map<ResolveReport.Outcome, Long> counts = report.steps().stream().collect(Collectors.groupingBy(
                ResolveReport.StepResult::outcome, () -> new java.util.EnumMap<>(ResolveReport.Outcome.class),
                Collectors.counting()));
        String steps = counts.isEmpty() ? "no branch to act on" : counts.entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '))
                .collect(Collectors.joining(", "));
        return (report.dryRun() ? "dry run, " : "") + steps + "; " + report.heuristics().size() + " heuristic(s); "
                + report.endsWritten().size() + " END(s) written; " + report.remainingInDoubt()
                + " branch(es) still in doubt" + (report.unreachableResources().isEmpty() ? ""
                : "; unreachable: " + String.join(", ", report.unreachableResources().keySet()));
    }

    private static int exitCode(ResolveReport report) {
        if (report.heuristics().stream().anyMatch(HeuristicOutcome::contradictsDecision)) {
            return ExitCodes.HEURISTIC;
        }
        if (!report.unreachableResources().isEmpty()) {
            return ExitCodes.BAD_INPUT;
        }
        return report.nothingInDoubt() ? ExitCodes.OK : ExitCodes.IN_DOUBT;
    }

    private void print(RecoverySetup setup, ResolveReport report, int exit) {
        List<InDoubtBranch> seen = report.steps().stream().map(s -> s.step().branch()).toList();
        print(setup.logDirectory.toString(), setup.describeLog(), setup.nodeId.orElse(null), setup.problemViews(),
                setup.databaseViews(seen, report.unreachableResources(), context), report, exit, null);
    }

    private void print(String logLabel, String describeLog, String nodeId, List<io.quorumtx.recovery.output.LogView.ProblemView> problems,
                       List<RecoveryView.DatabaseView> databases, ResolveReport report, int exit,
                       java.util.Map<String, String> replicas) {
        RecoveryView view = new RecoveryView("resolve", logLabel, nodeId, false, problems, databases,
                report.steps().stream().map(s -> RecoveryView.BranchView.of(s.step())).toList(),
                report.unfinishedCommits().stream().map(RecoveryView.UnfinishedView::of).toList(), report.dryRun(),
                override == null ? null : new RecoveryView.OverrideView(override.gtrid(), override.action().name()),
                report.steps().stream().map(RecoveryView.StepView::of).toList(),
                report.heuristics().stream().map(RecoveryView.HeuristicView::of).toList(), report.endsWritten(),
                report.remainingInDoubt(), exit, replicas, null);
        if (json) {
            new Json().print(context.out(), view);
            return;
        }
        PrintStream out = context.out();
        TextReport.header(out, describeLog, view);
        out.println(report.dryRun() ? "Plan (dry run, nothing changed):" : "Steps:");
        if (view.steps().isEmpty()) {
            out.println("  nothing to do: no in-doubt branch of ours");
        }
        for (RecoveryView.StepView s : view.steps()) {
            RecoveryView.BranchView b = s.branch();
            out.printf("  %-14s %s:%s  logged %-7s %-8s -> %-11s %s%s%n", b.resource(), b.gtrid(), b.branchQualifier(),
                    b.loggedDecision(), b.action(), s.outcome(), b.reason(),
                    s.detail() == null ? "" : " [" + context.scrub(s.detail()) + "]");
        }
        for (RecoveryView.HeuristicView h : view.heuristics()) {
            out.printf("  HEURISTIC %s in %s (%s): decided %s, database reports %s%s%n", h.gtrid(), h.resource(),
                    h.branchQualifier(), h.decision(), h.kind(), h.contradictsDecision() ? " - NEEDS AN OPERATOR" : "");
        }
        TextReport.unfinished(out, "Logged commits still without END",
                report.dryRun() ? "every branch finished; resolve writes its END" : "every branch finished",
                view.unfinishedCommits());
        if (!report.endsWritten().isEmpty()) {
            out.println("END written for: " + String.join(", ", report.endsWritten()));
        }
        out.println("Summary: " + summary(report));
    }
}
