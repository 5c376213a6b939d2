package io.quorumtx.tm.protocol;

import io.quorumtx.tm.HeuristicOutcome;
import java.time.Instant;
import java.util.function.Consumer;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one prepared (or ended) branch to the transaction's decision and classifies what the
 * resource answered. Shared by phase 2 on the committing thread and by the retry queue, so both
 * treat every XA answer the same way.
 *
 * <p>A failure is {@link Result#RETRY} only for what XA defines as transient; anything else is
 * {@link Result#UNCERTAIN}, so a driver that answers "unknown branch" with a non-standard code is
 * not retried blindly for ever (see {@link Phase2Retrier}).
 *
 * <p>Heuristic answers are forgotten at the resource (XA requires it, or the branch stays listed
 * forever), logged as errors naming gtrid and resource, and handed to the heuristic sink; they
 * are never dropped silently.
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

    Result complete(XAResource xa, Participant p, boolean commit, boolean firstAttempt) {
        try {
            if (commit) {
                xa.commit(p.xid(), false);
            } else {
                xa.rollback(p.xid());
            }
            return Result.DONE;
        } catch (XAException e) {
            return classify(xa, p, commit, firstAttempt, e);
        } catch (RuntimeException e) {
            LOG.warn("{} of branch {} failed; it will be retried", commit ? "Commit" : "Rollback", p, e);
            return Result.RETRY;
        }
    }

    private Result classify(XAResource xa, Participant p, boolean commit, boolean firstAttempt, XAException e) {
        int code = e.errorCode;
        switch (code) {
            case XAException.XA_HEURCOM:
                forget(xa, p);
                return commit ? Result.DONE : heuristic(p, commit, HeuristicOutcome.Kind.COMMITTED, e);
            case XAException.XA_HEURRB:
                forget(xa, p);
                return commit ? heuristic(p, commit, HeuristicOutcome.Kind.ROLLED_BACK, e) : Result.DONE;
            case XAException.XA_HEURMIX:
                forget(xa, p);
                return heuristic(p, commit, HeuristicOutcome.Kind.MIXED, e);
            case XAException.XA_HEURHAZ:
                forget(xa, p);
                return heuristic(p, commit, HeuristicOutcome.Kind.HAZARD, e);
            case XAException.XAER_NOTA:
                if (firstAttempt && commit) {
                    // The branch voted yes moments ago and nothing has committed it since: a resource
                    // that has forgotten it may have rolled it back. Say so rather than assume success.
                    return heuristic(p, true, HeuristicOutcome.Kind.HAZARD, e);
                }
                // On a retry (an earlier attempt may have committed it before its reply was lost) or
                // for a rollback, an unknown branch is a finished branch.
                return Result.DONE;
            default:
                if (XaCodes.isRollback(code)) {
                    return commit ? heuristic(p, true, HeuristicOutcome.Kind.ROLLED_BACK, e) : Result.DONE;
                }
                if (XaCodes.isTransient(code)) {
                    LOG.warn("{} of branch {} failed with {}; it will be retried",
                            commit ? "Commit" : "Rollback", p, XaCodes.describe(e));
                    return Result.RETRY;
                }
                LOG.warn("{} of branch {} failed with {}, which does not say whether the branch is still prepared;"
                        + " its resource's recover() list will tell, and it is retried while listed",
                        commit ? "Commit" : "Rollback", p, XaCodes.describe(e));
                return Result.UNCERTAIN;
        }
    }

    private Result heuristic(Participant p, boolean commit, HeuristicOutcome.Kind kind, XAException e) {
        record(p, commit, kind, XaCodes.describe(e));
        return switch (kind) {
            case COMMITTED -> Result.HEURISTIC_COMMIT;
            case ROLLED_BACK -> Result.HEURISTIC_ROLLBACK;
            case MIXED, HAZARD -> Result.HEURISTIC_MIXED;
        };
    }

    void record(Participant p, boolean commit, HeuristicOutcome.Kind kind, String detail) {
        HeuristicOutcome outcome = new HeuristicOutcome(p.xid().gtrid(), p.resourceName(),
                p.xid().branchQualifier(), commit ? HeuristicOutcome.Decision.COMMIT : HeuristicOutcome.Decision.ROLLBACK,
                kind, detail, Instant.now());
        LOG.error("HEURISTIC outcome {} in transaction {}, resource {} (branch {}): {}; the transaction's decision was {}. "
                + "Check that database by hand", kind, outcome.gtrid(), outcome.resourceName(), outcome.branchQualifier(),
                detail, outcome.decision());
        try {
            heuristics.accept(outcome);
        } catch (RuntimeException sinkFailure) {
            LOG.error("Could not record heuristic outcome {}", outcome, sinkFailure);
        }
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
