package io.quorumtx.recovery.cli;

import io.quorumtx.recovery.config.ToolConfig;
import io.quorumtx.recovery.output.Json;
import io.quorumtx.recovery.output.RecoveryView;
import io.quorumtx.tm.RecoverableResource;
import io.quorumtx.tm.recovery.OwnerLiveness;
import io.quorumtx.tm.recovery.PlannedStep;
import io.quorumtx.tm.recovery.Recovery;
import io.quorumtx.tm.recovery.RecoveryAction;
import io.quorumtx.tm.recovery.ResolveReport;
import io.quorumtx.tm.recovery.ScanResult;
import java.io.PrintStream;
import java.util.List;

/**
 * Scan and resolve when the commit log cannot be read (its directory is gone or holds no log, it
 * is damaged, or no majority of the replicated log's replicas can be read). Only three-phase
 * commit can be decided then, from the participants' pre-commit markers ({@link Recovery#withoutLog}):
 * a marker anywhere proves COMMIT; without one anywhere, ROLLBACK only with
 * {@code --assume-log-lost}. Two-phase branches are left for the operator's --commit/--rollback.
 */
final class LostLog {

    /** Every owner is treated as gone: the operator runs this because the log (and its node) is lost. */
    private static final OwnerLiveness NOBODY_DECIDES = new OwnerLiveness() {
        @Override
        public boolean mayStillDecide(String ownerNode, String gtrid) {
            return false;
        }

        @Override
        public boolean isGone(String ownerNode, String gtrid) {
            return true;
        }

        @Override
        public String whyItMayStillDecide(String ownerNode, String gtrid) {
            return "";
        }
    };

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
            Recovery recovery = Recovery.withoutLog(progress.track(resources), NOBODY_DECIDES, false);
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
                s -> s.action() == RecoveryAction.LEAVE).count(), false, false)));
        return exit;
    }

    /**
     * Resolves from markers; {@code before} checks reachability after the first scan (the command's rule).
     *
     * @return the report, for the command to print
     */
    ResolveReport resolve(boolean dryRun, boolean assumeLogLost, java.util.function.Consumer<ScanResult> before) {
        List<RecoverableResource> resources = Databases.resources(config, context);
        if (!dryRun) {
            try (Progress progress = new Progress(context, resources.size())) {
                before.accept(Recovery.withoutLog(progress.track(resources), NOBODY_DECIDES, assumeLogLost).scan());
            }
        }
        try (Progress progress = new Progress(context, resources.size())) {
            return Recovery.withoutLog(progress.track(resources), NOBODY_DECIDES, assumeLogLost).resolve(dryRun);
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
    void explain(ResolveReport report, boolean assumeLogLost) {
        long applied = report.steps().stream().filter(s -> s.outcome() == ResolveReport.Outcome.COMMITTED
                || s.outcome() == ResolveReport.Outcome.ROLLED_BACK).count();
        long left = report.steps().stream().filter(s -> s.outcome() == ResolveReport.Outcome.LEFT).count();
        context.err().println(context.scrub(why + " " + explanation(left, applied > 0, assumeLogLost)));
    }

    private static String explanation(long left, boolean changed, boolean assumeLogLost) {
        StringBuilder text = new StringBuilder("A COMMIT decision may have been lost, so presuming abort is not safe: ");
        text.append(changed ? "only three-phase-commit branches were finished (committed where a pre-commit marker"
                + " proves COMMIT" + (assumeLogLost ? ", rolled back where no participant holds one" : "") + ")."
                : "nothing was changed.");
        if (left > 0) {
            text.append(" ").append(left).append(" branch(es) left: a two-phase-commit branch needs its commit log"
                    + " (decide it with --commit or --rollback once the databases are checked)");
            if (!assumeLogLost) {
                text.append("; a three-phase-commit branch without a pre-commit marker in any participant is rolled"
                        + " back only with --assume-log-lost, which asserts that every copy of the commit log is gone"
                        + " for good and that this configuration names every database and participant the transaction"
                        + " used (no marker anywhere proves no branch committed; a marker in a database left out of"
                        + " the configuration would mean COMMIT)");
            }
            text.append('.');
        }
        return text.toString();
    }
}
