package io.quorumtx.recovery.cli;

import io.quorumtx.recovery.config.ToolConfig;
import io.quorumtx.recovery.output.Json;
import io.quorumtx.recovery.output.RecoveryView;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.recovery.OwnerLiveness;
import io.quorumtx.tm.recovery.PlannedStep;
import io.quorumtx.tm.recovery.Recovery;
import io.quorumtx.tm.recovery.RecoveryAction;
import io.quorumtx.tm.recovery.ResolveReport;
import io.quorumtx.tm.recovery.ScanResult;
import io.quorumtx.tm.xid.NodeIds;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Scan and resolve when the commit log cannot be read (its directory is gone or holds no log, it
 * is damaged, or no majority of the replicated log's replicas can be read). Only three-phase
 * commit can be decided then, from the participants' pre-commit markers ({@link Recovery#withoutLog}):
 * a marker anywhere proves COMMIT, whoever owns the transaction; without one anywhere, ROLLBACK
 * only for the owners named in {@code --assume-log-lost=NODE[,NODE...]}. Any other node may be
 * alive, between its COMMIT decision and its first marker, so its unmarked branches are shown
 * and left. Two-phase branches are left for the operator's --commit/--rollback.
 */
final class LostLog {

    /**
     * No owner is asked whether it may still decide: the markers are what decide here, and the
     * owners that may be alive are kept safe by {@link Recovery#withoutLog}'s lost-log owners (only
     * those the operator names see a rollback). A marker proves a durable COMMIT, so committing a
     * live owner's marked branch only does what that owner does itself.
     */
    private static final OwnerLiveness MARKERS_DECIDE = (ownerNode, gtrid) -> false;

    private final ToolConfig config;
    private final CliContext context;
    private final String why;

    /** @param why why the log cannot be read, as a sentence ("Commit log /x is damaged: ...") */
    LostLog(ToolConfig config, CliContext context, String why) {
        this.config = config;
        this.context = context;
        this.why = why;
    }

    int scan(boolean json) {
        List<RecoverableResource> resources = Databases.resources(config, context);
        ScanResult scan;
        List<PlannedStep> plan;
        try (Progress progress = new Progress(context, resources.size())) {
            Recovery recovery = Recovery.withoutLog(progress.track(resources), MARKERS_DECIDE, Set.of());
            scan = recovery.scan();
            plan = recovery.plan(scan);
        }
        int exit = ExitCodes.BAD_INPUT;
        RecoveryView view = new RecoveryView("scan", "unreadable: " + why, null, false, List.of(),
                RecoverySetup.databaseViews(config, scan.branches(), scan.unreachableResources(), context),
                plan.stream().map(RecoveryView.BranchView::of).toList(), List.of(), null, null, null, null, null,
                null, exit, null, RecoveryView.MarkerView.of(scan));
        if (json) {
            new Json().print(context.out(), view);
        } else {
            PrintStream out = context.out();
            TextReport.header(out, "Commit log: CANNOT BE READ (" + why + ")", view);
            TextReport.branches(out, view.branches());
            TextReport.markers(out, view.markers());
        }
        context.err().println(context.scrub(why + " " + explanation(plan.stream().filter(
                s -> s.action() == RecoveryAction.LEAVE).count(), false, Set.of())));
        return exit;
    }

    /**
     * The node ids of {@code --assume-log-lost=NODE[,NODE...]}: empty when the option is absent
     * (null); the option without ids (the empty fallback value) or with an id that cannot be a
     * node id is refused before anything is read or changed.
     */
    @SuppressWarnings("StringSplitter") // split dropping trailing empty strings is wanted: a trailing comma is tolerated, an empty name between commas is refused
    static Set<String> owners(String option) {
        if (option == null) {
            return Set.of();
        }
        if (option.isBlank()) {
            throw new ToolException(ExitCodes.BAD_INPUT, "--assume-log-lost needs the ids of the nodes whose commit"
                    + " log is lost for good: --assume-log-lost=NODE[,NODE...] (a branch's owner is the first part of"
                    + " its gtrid, and the NODE column of 'quorumtx scan'). Only those nodes' three-phase-commit"
                    + " branches without a pre-commit marker are rolled back; any other node may be running and about"
                    + " to commit its own. Nothing was changed.");
        }
        Set<String> owners = new TreeSet<>();
        for (String part : option.split(",")) {
            String id = part.strip();
            if (!NodeIds.isValid(id)) {
                throw new ToolException(ExitCodes.BAD_INPUT, "--assume-log-lost=" + option + ": '" + id + "' is not a"
                        + " node id (1 to " + NodeIds.MAX_LENGTH + " characters of A-Z a-z 0-9 _ -); name the nodes"
                        + " separated by commas, as 'quorumtx scan' shows them. Nothing was changed.");
            }
            owners.add(id);
        }
        return Set.copyOf(owners);
    }

    /**
     * Resolves from markers; {@code before} checks reachability after the first scan (the command's rule).
     *
     * @param lostLogOwners the nodes named by {@code --assume-log-lost} (empty: none)
     * @return the report, for the command to print
     */
    ResolveReport resolve(boolean dryRun, Set<String> lostLogOwners, java.util.function.Consumer<ScanResult> before) {
        List<RecoverableResource> resources = Databases.resources(config, context);
        if (!dryRun) {
            try (Progress progress = new Progress(context, resources.size())) {
                before.accept(Recovery.withoutLog(progress.track(resources), MARKERS_DECIDE, lostLogOwners).scan());
            }
        }
        try (Progress progress = new Progress(context, resources.size())) {
            return Recovery.withoutLog(progress.track(resources), MARKERS_DECIDE, lostLogOwners).resolve(dryRun);
        }
    }

    /** The replicated log opened, or why it cannot be read (exactly one is set). */
    record Replicated(PaxosSetup setup, String unreadable) {
    }

    /**
     * Opens the replicated log for scan or resolve. When it refuses to open (fewer than a majority
     * of replicas readable, or missing directories), says why instead, without the refusal's
     * closing "Nothing was changed." (the lost-log explanation says what changed). Treating every
     * such refusal as "cannot be read" is safe: without the log only what a marker proves is
     * committed, and nothing is rolled back unless the operator asserts the loss.
     */
    static Replicated openReplicated(ToolConfig config, CliContext context) {
        try {
            return new Replicated(PaxosSetup.open(config, context), null);
        } catch (ToolException e) {
            if (e.exitCode() != ExitCodes.BAD_INPUT) {
                throw e;
            }
            String message = e.getMessage() == null ? "" : e.getMessage().replace("Nothing was changed.", "").strip();
            return new Replicated(null, "The replicated commit log cannot be read: " + message);
        }
    }

    /** The exit code of a resolve without the log: 0 only when nothing is left in doubt. */
    static int exitCode(ResolveReport report) {
        return report.nothingInDoubt() && report.unreachableResources().isEmpty() ? ExitCodes.OK : ExitCodes.BAD_INPUT;
    }

    /** What the operator is told on stderr after a resolve without the log. */
    void explain(ResolveReport report, Set<String> lostLogOwners) {
        long applied = report.steps().stream().filter(s -> s.outcome() == ResolveReport.Outcome.COMMITTED
                || s.outcome() == ResolveReport.Outcome.ROLLED_BACK).count();
        long left = report.steps().stream().filter(s -> s.outcome() == ResolveReport.Outcome.LEFT).count();
        context.err().println(context.scrub(why + " " + explanation(left, applied > 0, lostLogOwners)));
        Set<String> owners = new TreeSet<>();
        report.steps().forEach(s -> owners.add(s.step().branch().ownerNode()));
        for (String named : new TreeSet<>(lostLogOwners)) {
            if (!owners.contains(named)) { // a typo would otherwise pass unnoticed
                context.err().println("Node " + named + " (named in --assume-log-lost) owns no in-doubt branch in the"
                        + " configured databases" + (owners.isEmpty() ? "." : "; the owners found are "
                        + String.join(", ", owners) + "."));
            }
        }
    }

    private static String explanation(long left, boolean changed, Set<String> lostLogOwners) {
        boolean assumed = !lostLogOwners.isEmpty();
        StringBuilder text = new StringBuilder("A COMMIT decision may have been lost, so presuming abort is not safe: ");
        text.append(changed ? "only three-phase-commit branches were finished (committed where a pre-commit marker"
                + " proves COMMIT" + (assumed ? ", rolled back where no participant holds one and the owner is "
                + String.join(", ", new TreeSet<>(lostLogOwners)) : "") + ")." : "nothing was changed.");
        if (left > 0) {
            text.append(" ").append(left).append(" branch(es) left: a two-phase-commit branch needs its commit log"
                    + " (decide it with --commit or --rollback once the databases are checked)");
            if (assumed) {
                text.append("; a three-phase-commit branch of a node not named in --assume-log-lost is left to that"
                        + " node, which may be running");
            } else {
                text.append("; a three-phase-commit branch without a pre-commit marker in any participant is rolled"
                        + " back only with --assume-log-lost=NODE[,NODE...] naming its owner, which asserts that every"
                        + " copy of that node's commit log is gone for good, that the node is not running, and that"
                        + " this configuration names every database and participant the transaction used (no marker"
                        + " anywhere proves no branch committed; a marker in a database left out of the configuration"
                        + " would mean COMMIT)");
            }
            text.append('.');
        }
        return text.toString();
    }
}
