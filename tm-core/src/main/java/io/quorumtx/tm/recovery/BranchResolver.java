package io.quorumtx.tm.recovery;

import io.quorumtx.tm.HeuristicOutcome;
import io.quorumtx.tm.protocol.XaCodes;
import io.quorumtx.tm.recovery.ResolveReport.Outcome;
import io.quorumtx.tm.recovery.ResolveReport.StepResult;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Consumer;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one COMMIT or ROLLBACK step and classifies the resource's answer. A branch the
 * resource no longer knows (XAER_NOTA) was finished by someone else: the coordinator, its phase-2
 * retrier, or an earlier pass. Heuristic answers are forgotten at the resource (XA requires it, or
 * the branch stays listed for ever), logged at ERROR and handed to the heuristic sink; a resource
 * error leaves the branch in doubt for a later pass.
 */
final class BranchResolver {
    private static final Logger LOG = LoggerFactory.getLogger(BranchResolver.class);

    private final Clock clock;

    BranchResolver(Clock clock) {
        this.clock = clock;
    }

    StepResult apply(XAResource xa, PlannedStep step, Consumer<HeuristicOutcome> heuristics) {
        InDoubtBranch b = step.branch();
        boolean commit = step.action() == RecoveryAction.COMMIT;
        try {
            if (commit) {
                xa.commit(b.xid(), false);
            } else {
                xa.rollback(b.xid());
            }
            LOG.info("Recovery {} branch {} of transaction {} in resource {} ({})", commit ? "committed" : "rolled back",
                    b.xid().branchQualifier(), b.gtrid(), b.resourceName(), step.reason());
            return result(step, commit ? Outcome.COMMITTED : Outcome.ROLLED_BACK, "");
        } catch (XAException e) {
            return classify(xa, step, commit, e, heuristics);
        } catch (RuntimeException e) {
            return failed(step, commit, RecoveryPass.describe(e));
        }
    }

    private StepResult classify(XAResource xa, PlannedStep step, boolean commit, XAException e,
            Consumer<HeuristicOutcome> heuristics) {
        int code = e.errorCode;
        return switch (code) {
            case XAException.XAER_NOTA -> result(step, Outcome.ALREADY_DONE, XaCodes.describe(e));
            case XAException.XA_HEURCOM -> heuristic(xa, step, commit, HeuristicOutcome.Kind.COMMITTED, e, true, heuristics);
            case XAException.XA_HEURRB -> heuristic(xa, step, commit, HeuristicOutcome.Kind.ROLLED_BACK, e, true, heuristics);
            case XAException.XA_HEURMIX -> heuristic(xa, step, commit, HeuristicOutcome.Kind.MIXED, e, true, heuristics);
            case XAException.XA_HEURHAZ -> heuristic(xa, step, commit, HeuristicOutcome.Kind.HAZARD, e, true, heuristics);
            default -> {
                if (XaCodes.isRollback(code)) {
                    // The resource rolled the branch back itself: as decided for a rollback, heuristic for a commit.
                    yield commit ? heuristic(xa, step, true, HeuristicOutcome.Kind.ROLLED_BACK, e, false, heuristics)
                            : result(step, Outcome.ROLLED_BACK, XaCodes.describe(e));
                }
                yield failed(step, commit, RecoveryPass.describe(e));
            }
        };
    }

    private StepResult heuristic(XAResource xa, PlannedStep step, boolean commit, HeuristicOutcome.Kind kind,
            XAException e, boolean forget, Consumer<HeuristicOutcome> heuristics) {
        InDoubtBranch b = step.branch();
        if (forget) {
            try {
                xa.forget(b.xid());
            } catch (XAException | RuntimeException f) {
                LOG.warn("Forget of heuristically completed branch {} in resource {} failed ({}); the resource may keep"
                        + " listing it", b.xid(), b.resourceName(), XaCodes.describe(f));
            }
        }
        HeuristicOutcome outcome = new HeuristicOutcome(b.gtrid(), b.resourceName(), b.xid().branchQualifier(),
                commit ? HeuristicOutcome.Decision.COMMIT : HeuristicOutcome.Decision.ROLLBACK, kind,
                XaCodes.describe(e), clock.instant());
        LOG.error("HEURISTIC outcome {} in transaction {}, resource {} (branch {}) met by recovery: {}; the "
                + "transaction's decision was {}{}", kind, b.gtrid(), b.resourceName(), b.xid().branchQualifier(),
                XaCodes.describe(e), outcome.decision(),
                outcome.contradictsDecision() ? ". Check that database by hand" : " (the outcome agrees with it)");
        try {
            heuristics.accept(outcome);
        } catch (RuntimeException sinkFailure) {
            LOG.error("Could not record heuristic outcome {}", outcome, sinkFailure);
        }
        return new StepResult(step, Outcome.HEURISTIC, XaCodes.describe(e), Optional.of(kind));
    }

    private static StepResult failed(PlannedStep step, boolean commit, String error) {
        InDoubtBranch b = step.branch();
        LOG.warn("Recovery could not {} branch {} of transaction {} in resource {}: {}; it stays in doubt until a later"
                + " pass", commit ? "commit" : "roll back", b.xid().branchQualifier(), b.gtrid(), b.resourceName(), error);
        return result(step, Outcome.FAILED, error);
    }

    private static StepResult result(PlannedStep step, Outcome outcome, String detail) {
        return new StepResult(step, outcome, detail, Optional.empty());
    }
}
