package io.quorumtx.tm.protocol;

import java.time.Instant;
import java.util.function.Consumer;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one prepared (or ended) branch to the transaction's decision and turns what the resource
 * answered ({@link XaOutcome}, the one classifier every path shares) into what the committing
 * thread and the retry queue act on.
 *
 * <p>A failure is {@link Result#RETRY} only for what XA defines as transient; anything else is
 * {@link Result#UNCERTAIN}, so a driver that answers "unknown branch" with a non-standard code is
 * not retried blindly for ever (see {@link Phase2Retrier}). A branch the resource no longer knows
 * after the final COMMIT was committed by whoever applied that decision first (another node's
 * takeover, recovery, an earlier attempt): {@link Result#DONE}, not a hazard (see {@link XaOutcome}).
 *
 * <p>Heuristic answers are forgotten at the resource (XA requires it, or the branch stays listed
 * forever), recorded in the heuristic sink and logged, whether or not they agree with the decision
 * (an agreeing one is logged as a warning and does not fail the transaction); they are never
 * dropped silently.
 */
final class BranchCompletion {
    private static final Logger LOG = LoggerFactory.getLogger(BranchCompletion.class);

    enum Result {
        /** The branch reached the decided outcome (or was already there). */
        DONE,
        /** The branch committed on its own (only reported when the decision was rollback). */
        HEURISTIC_COMMIT,
        /** The branch rolled back on its own (only reported when the decision was commit). */
        HEURISTIC_ROLLBACK,
        /** The branch is partly committed, partly rolled back, or its outcome is unknown. */
        HEURISTIC_MIXED,
        /**
         * The resource could not be reached, or answered a transient code (XAER_RMFAIL, XA_RETRY):
         * try again later.
         */
        RETRY,
        /**
         * The resource answered with an error that says nothing reliable about the branch (an
         * unrecognised code such as H2's 0, XAER_RMERR, XAER_PROTO, ...): the branch may still be
         * prepared, or may be finished already (an earlier attempt committed it before its reply
         * was lost). Only the resource's own {@code recover()} list can tell; until it has, treat
         * the branch as not finished.
         */
        UNCERTAIN
    }

    private final Consumer<HeuristicOutcome> heuristics;

    BranchCompletion(Consumer<HeuristicOutcome> heuristics) {
        this.heuristics = heuristics;
    }

    /** Commits ({@code call} a commit context) or rolls back the branch, and says where it stands. */
    Result complete(XAResource xa, Participant p, XaCall call) {
        boolean commit = call.commits();
        XaOutcome outcome;
        String detail;
        try {
            if (commit) {
                xa.commit(p.xid(), false);
            } else {
                xa.rollback(p.xid());
            }
            return Result.DONE;
        } catch (XAException e) {
            outcome = XaOutcome.threw(call, e.errorCode);
            detail = XaCodes.describe(e);
        } catch (RuntimeException e) {
            outcome = XaOutcome.threwUnchecked(call);
            detail = String.valueOf(e);
        }
        if (outcome.mustForget()) {
            forget(xa, p);
        }
        return switch (outcome) {
            case COMMITTED, ALREADY_ROLLED_BACK -> Result.DONE;
            case ALREADY_COMMITTED -> {
                LOG.info("Branch {} was already committed when this node's phase 2 reached it ({}): the transaction's"
                        + " final COMMIT was applied first by another node's takeover, recovery or an earlier attempt",
                        p, detail);
                yield Result.DONE;
            }
            // A rollback is as decided for a rollback, heuristic for a commit (XaOutcome says which).
            case ROLLED_BACK, HEURISTIC_COMMIT, HEURISTIC_ROLLBACK, HEURISTIC_MIXED, HEURISTIC_HAZARD -> {
                HeuristicOutcome.Kind kind = outcome.heuristic(call);
                yield kind == null ? Result.DONE : heuristic(p, commit, kind, detail);
            }
            case RETRY -> {
                LOG.warn("{} of branch {} failed with {}; it will be retried", commit ? "Commit" : "Rollback", p, detail);
                yield Result.RETRY;
            }
            case UNCERTAIN, PREPARED, READ_ONLY -> {
                LOG.warn("{} of branch {} failed with {}, which does not say whether the branch is still prepared;"
                        + " its resource's recover() list will tell, and it is retried while listed",
                        commit ? "Commit" : "Rollback", p, detail);
                yield Result.UNCERTAIN;
            }
        };
    }

    /** Records the heuristic and says what it means for the decision (an agreeing one is {@link Result#DONE}). */
    private Result heuristic(Participant p, boolean commit, HeuristicOutcome.Kind kind, String detail) {
        HeuristicOutcome outcome = record(p, commit, kind, detail);
        if (!outcome.contradictsDecision()) {
            return Result.DONE;
        }
        return switch (kind) {
            case COMMITTED -> Result.HEURISTIC_COMMIT;
            case ROLLED_BACK -> Result.HEURISTIC_ROLLBACK;
            case MIXED, HAZARD -> Result.HEURISTIC_MIXED;
        };
    }

    HeuristicOutcome record(Participant p, boolean commit, HeuristicOutcome.Kind kind, String detail) {
        HeuristicOutcome outcome = new HeuristicOutcome(p.xid().gtrid(), p.resourceName(),
                p.xid().branchQualifier(), commit ? HeuristicOutcome.Decision.COMMIT : HeuristicOutcome.Decision.ROLLBACK,
                kind, detail, Instant.now());
        if (outcome.contradictsDecision()) {
            LOG.error("HEURISTIC outcome {} in transaction {}, resource {} (branch {}): {}; the transaction's decision"
                    + " was {}. Check that database by hand", kind, outcome.gtrid(), outcome.resourceName(),
                    outcome.branchQualifier(), detail, outcome.decision());
        } else {
            LOG.warn("Heuristic outcome {} in transaction {}, resource {} (branch {}): {}; it agrees with the"
                    + " transaction's decision {}", kind, outcome.gtrid(), outcome.resourceName(),
                    outcome.branchQualifier(), detail, outcome.decision());
        }
        try {
            heuristics.accept(outcome);
        } catch (RuntimeException sinkFailure) {
            LOG.error("Could not record heuristic outcome {}", outcome, sinkFailure);
        }
        return outcome;
    }

    static void forget(XAResource xa, Participant p) {
        try {
            xa.forget(p.xid());
        } catch (XAException | RuntimeException e) {
            LOG.warn("Forget of heuristically completed branch {} failed ({}); the resource may keep listing it",
                    p, XaCodes.describe(e));
        }
    }
}
