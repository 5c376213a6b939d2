package io.quorumtx.tm.recovery;

import io.quorumtx.tm.protocol.HeuristicOutcome;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What one {@link Recovery#resolve} or {@link Recovery#override} did (or, for a dry run, would
 * do): one {@link StepResult} per branch, the heuristic outcomes met, the ENDs written, and what
 * is still left.
 *
 * @param dryRun true if nothing was changed (every COMMIT/ROLLBACK step is {@link Outcome#PLANNED})
 * @param steps one entry per branch seen, with its final result (a branch cleared over several
 *     passes appears once)
 * @param heuristics every heuristic outcome met; each is also logged at ERROR
 * @param unreachableResources resources that could not be scanned in the last pass: name to error
 * @param endsWritten gtrids whose END was written because every branch was finished
 * @param unfinishedCommits logged commits still without END after the run
 * @param remainingInDoubt branches of ours still prepared after the run (left, failed, or still
 *     listed after the last pass)
 * @param passes scans made (a dry run makes one)
 */
public record ResolveReport(boolean dryRun, List<StepResult> steps, List<HeuristicOutcome> heuristics,
        Map<String, String> unreachableResources, List<String> endsWritten, List<UnfinishedCommit> unfinishedCommits,
        int remainingInDoubt, int passes) {

    public ResolveReport {
        steps = List.copyOf(steps);
        heuristics = List.copyOf(heuristics);
        Objects.requireNonNull(unreachableResources, "unreachableResources");
        unreachableResources = Collections.unmodifiableMap(new LinkedHashMap<>(unreachableResources));
        endsWritten = List.copyOf(endsWritten);
        unfinishedCommits = List.copyOf(unfinishedCommits);
    }

    /** The result of one step. */
    public enum Outcome {
        /** The branch was committed. */
        COMMITTED,
        /** The branch was rolled back. */
        ROLLED_BACK,
        /** The resource no longer knew the branch: someone (the coordinator, its retrier, another pass) finished it. */
        ALREADY_DONE,
        /** The plan said LEAVE; the reason is in the step. */
        LEFT,
        /** The commit or rollback failed (resource error); the branch stays in doubt; see {@link StepResult#detail()}. */
        FAILED,
        /** The resource had decided on its own; see {@link StepResult#heuristic()}. The branch was forgotten. */
        HEURISTIC,
        /** Dry run: the step would be applied. */
        PLANNED
    }

    /**
     * One branch and what became of it.
     *
     * @param step the plan for the branch (its action and reason)
     * @param outcome the result
     * @param detail the error or XA code for FAILED and HEURISTIC, otherwise empty text
     * @param heuristic for HEURISTIC, what the resource reported
     */
    public record StepResult(PlannedStep step, Outcome outcome, String detail, Optional<HeuristicOutcome.Kind> heuristic) {
        public StepResult {
            Objects.requireNonNull(step, "step");
            Objects.requireNonNull(outcome, "outcome");
            Objects.requireNonNull(detail, "detail");
            Objects.requireNonNull(heuristic, "heuristic");
        }
    }

    /** Heuristic outcomes met; {@link HeuristicOutcome#contradictsDecision()} tells which need an operator. */
    public int heuristicCount() {
        return heuristics.size();
    }

    /** True if no branch of ours is left in doubt, no commit is unfinished and every resource answered. */
    public boolean nothingInDoubt() {
        return remainingInDoubt == 0 && unfinishedCommits.isEmpty() && unreachableResources.isEmpty();
    }

    /** The steps with the given outcome. */
    public List<StepResult> steps(Outcome outcome) {
        return steps.stream().filter(s -> s.outcome() == outcome).toList();
    }

    /** One line for logs: counts per outcome and what is left. */
    public String summary() {
        Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
        for (StepResult s : steps) {
            counts.merge(s.outcome(), 1, Integer::sum);
        }
        return (dryRun ? "dry run: " : "") + counts + ", " + heuristics.size() + " heuristic(s), " + endsWritten.size()
                + " END(s) written, " + remainingInDoubt + " branch(es) still in doubt, " + unfinishedCommits.size()
                + " unfinished commit(s), " + unreachableResources.size() + " unreachable resource(s) "
                + unreachableResources.keySet() + ", " + passes + " pass(es)";
    }
}
