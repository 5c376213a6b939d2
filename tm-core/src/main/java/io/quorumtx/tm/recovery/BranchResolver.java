package io.quorumtx.tm.recovery;

import io.quorumtx.tm.protocol.HeuristicOutcome;
import io.quorumtx.tm.protocol.XaCall;
import io.quorumtx.tm.protocol.XaCodes;
import io.quorumtx.tm.protocol.XaOutcome;
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
 * Applies one COMMIT or ROLLBACK step and turns the resource's answer, as the one classifier of XA
 * outcomes reads it ({@link XaOutcome}, shared with the commit path and the phase-2 retrier), into
 * the step's result. A branch the resource no longer knows (XAER_NOTA) was finished by someone
 * else applying the same decision: the coordinator, its phase-2 retrier, another node, or an
 * earlier pass. Heuristic answers are forgotten at the resource (XA requires it, or the branch
 * stays listed for ever), logged and handed to the heuristic sink, whether or not they agree with
 * the decision; a resource error leaves the branch in doubt for a later pass.
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
        XaCall call = commit ? XaCall.RECOVERY_COMMIT : XaCall.RECOVERY_ROLLBACK;
        XaOutcome outcome;
        String detail;
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
            outcome = XaOutcome.threw(call, e.errorCode);
            detail = RecoveryPass.describe(e); // with the cause, and any password setting masked
        } catch (RuntimeException e) {
            outcome = XaOutcome.threwUnchecked(call);
            detail = RecoveryPass.describe(e);
        }
        if (outcome.mustForget()) {
            forget(xa, b);
        }
        return switch (outcome) {
            case COMMITTED -> result(step, Outcome.COMMITTED, detail);
            case ALREADY_COMMITTED, ALREADY_ROLLED_BACK -> result(step, Outcome.ALREADY_DONE, detail);
            // A rollback by the resource is as decided for a rollback, heuristic for a commit (XaOutcome says which).
            case ROLLED_BACK, HEURISTIC_COMMIT, HEURISTIC_ROLLBACK, HEURISTIC_MIXED, HEURISTIC_HAZARD -> {
                HeuristicOutcome.Kind kind = outcome.heuristic(call);
                yield kind == null ? result(step, Outcome.ROLLED_BACK, detail)
                        : heuristic(step, commit, kind, detail, heuristics);
            }
            case RETRY, UNCERTAIN, PREPARED, READ_ONLY -> failed(step, commit, detail);
        };
    }

    private static void forget(XAResource xa, InDoubtBranch b) {
        try {
            xa.forget(b.xid());
        } catch (XAException | RuntimeException f) {
            LOG.warn("Forget of heuristically completed branch {} in resource {} failed ({}); the resource may keep"
                    + " listing it", b.xid(), b.resourceName(), XaCodes.describe(f));
        }
    }

    private StepResult heuristic(PlannedStep step, boolean commit, HeuristicOutcome.Kind kind, String detail,
            Consumer<HeuristicOutcome> heuristics) {
        InDoubtBranch b = step.branch();
        HeuristicOutcome outcome = new HeuristicOutcome(b.gtrid(), b.resourceName(), b.xid().branchQualifier(),
                commit ? HeuristicOutcome.Decision.COMMIT : HeuristicOutcome.Decision.ROLLBACK, kind, detail,
                clock.instant());
        if (outcome.contradictsDecision()) {
            LOG.error("HEURISTIC outcome {} in transaction {}, resource {} (branch {}) met by recovery: {}; the"
                    + " transaction's decision was {}. Check that database by hand", kind, b.gtrid(), b.resourceName(),
                    b.xid().branchQualifier(), detail, outcome.decision());
        } else {
            LOG.warn("Heuristic outcome {} in transaction {}, resource {} (branch {}) met by recovery: {}; it agrees"
                    + " with the transaction's decision {}", kind, b.gtrid(), b.resourceName(),
                    b.xid().branchQualifier(), detail, outcome.decision());
        }
        try {
            heuristics.accept(outcome);
        } catch (RuntimeException sinkFailure) {
            LOG.error("Could not record heuristic outcome {}", outcome, sinkFailure);
        }
        return new StepResult(step, Outcome.HEURISTIC, detail, Optional.of(kind));
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
