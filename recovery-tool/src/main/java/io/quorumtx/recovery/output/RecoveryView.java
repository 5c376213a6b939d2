package io.quorumtx.recovery.output;

import io.quorumtx.tm.protocol.HeuristicOutcome;
import io.quorumtx.tm.recovery.InDoubtBranch;
import io.quorumtx.tm.recovery.PlannedStep;
import io.quorumtx.tm.recovery.ResolveReport;
import io.quorumtx.tm.recovery.UnfinishedCommit;
import java.util.List;
import java.util.Map;

/**
 * The JSON shape of {@code scan} and {@code resolve}: the log, every configured database and
 * whether it answered, every in-doubt branch with its plan, and for resolve what each step did.
 * Fields that do not apply are null (for scan: {@code dryRun}, {@code override}, {@code steps},
 * {@code heuristics}, {@code endsWritten}). With the replicated log, {@code replicas} tells for
 * each acceptor whether it answered ("answered", followed by "; rejoined at T after losing its
 * disk, fence F: ..." for a member that rejoined with a new directory) or why not; null for a
 * local log.
 */
public record RecoveryView(String command, String logDirectory, String nodeId, boolean nodeRunning,
                           List<LogView.ProblemView> logProblems, List<DatabaseView> databases,
                           List<BranchView> branches, List<UnfinishedView> unfinishedCommits,
                           Boolean dryRun, OverrideView override, List<StepView> steps,
                           List<HeuristicView> heuristics, List<String> endsWritten, Integer remainingInDoubt,
                           int exitCode, Map<String, String> replicas, List<MarkerView> markers) {

    /** A three-phase-commit pre-commit marker a participant keeps: proof that its transaction was decided COMMIT. */
    public record MarkerView(String resource, String gtrid, List<String> participants, String writtenAt) {
        public static List<MarkerView> of(io.quorumtx.tm.recovery.ScanResult scan) {
            List<MarkerView> views = new java.util.ArrayList<>();
            scan.markers().forEach((resource, list) -> list.forEach(m -> views.add(new MarkerView(resource, m.gtrid(),
                    m.participants(), m.writtenAt().toString()))));
            return views;
        }
    }

    /** One configured database: its masked URL, whether it answered, how many branches it holds. */
    public record DatabaseView(String name, String url, boolean answered, int inDoubt, String error) {
    }

    /** One in-doubt branch and the plan for it. */
    public record BranchView(String resource, String gtrid, String branchQualifier, String ownerNode,
                             Long ageSeconds, String loggedDecision, String action, String reason, String protocol) {
        public static BranchView of(PlannedStep step) {
            InDoubtBranch b = step.branch();
            return new BranchView(b.resourceName(), b.gtrid(), b.xid().branchQualifier(), b.ownerNode(),
                    b.age().map(java.time.Duration::toSeconds).orElse(null), b.logged().name(), step.action().name(),
                    step.reason(), b.xid().threePhase() ? "3PC" : "2PC");
        }
    }

    /** What became of one branch in resolve. */
    public record StepView(BranchView branch, String outcome, String detail, String heuristic) {
        public static StepView of(ResolveReport.StepResult s) {
            return new StepView(BranchView.of(s.step()), s.outcome().name(), s.detail().isEmpty() ? null : s.detail(),
                    s.heuristic().map(Enum::name).orElse(null));
        }
    }

    public record UnfinishedView(String gtrid, String decidedAt, List<LogView.BranchView> branches,
                                 Map<String, String> blockedBy) {
        public static UnfinishedView of(UnfinishedCommit u) {
            return new UnfinishedView(u.gtrid(), u.decidedAt().toString(), u.branches().stream()
                    .map(b -> new LogView.BranchView(b.resourceName(), b.branchQualifier())).toList(), u.blockedBy());
        }
    }

    public record HeuristicView(String gtrid, String resource, String branchQualifier, String decision, String kind,
                                boolean contradictsDecision, String detail) {
        public static HeuristicView of(HeuristicOutcome h) {
            return new HeuristicView(h.gtrid(), h.resourceName(), h.branchQualifier(), h.decision().name(),
                    h.kind().name(), h.contradictsDecision(), h.detail());
        }
    }

    public record OverrideView(String gtrid, String action) {
    }
}
