package io.quorumtx.tm.protocol;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.protocol.CommitProtocol.Progress;
import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.testing.CrashPoint;
import jakarta.transaction.HeuristicMixedException;
import jakarta.transaction.HeuristicRollbackException;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.SystemException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.transaction.xa.XAException;

/**
 * Two-phase commit where one participant carries the decision: the commit log's COMMIT record is
 * written inside that participant's still-open branch ({@link CommitLog#writeCommitInBranch}),
 * the other branches are prepared, and then that branch commits in <b>one phase</b>. Its local
 * commit is the commit point: it makes the work of that database and the COMMIT decision durable
 * together, with no prepare of that branch and no separate log force. This is Narayana's
 * commit-markable resource (last resource commit with a durable decision), as the default path of
 * the database commit log.
 *
 * <p>The sequence, with what recovery finds if the process dies at each step:
 * <ol>
 *   <li>(before {@code end}, by {@link #write}) the COMMIT row is inserted in the carrier's branch,
 *       uncommitted: it holds the row's key until that branch ends;</li>
 *   <li>prepare the others, serially; a NO vote or error rolls every branch back, the carrier's
 *       too (its uncommitted row goes with it). Dying here leaves prepared branches and no
 *       committed row: recovery inserts an ABORT row (which waits while the carrier's branch is
 *       alive, and fails against a committed COMMIT row) and rolls them back;</li>
 *   <li>{@link CrashPoint#BEFORE_DECISION_BRANCH_COMMIT}, then the carrier's one-phase commit.
 *       Returned normally: decided COMMIT ({@link CrashPoint#AFTER_DECISION_BRANCH_COMMIT});
 *       any other answer (rolled back, connection lost, a heuristic, an unchecked exception): the
 *       log row is the truth, so the outcome is settled through the log ({@link CommitLog#settle}):
 *       COMMIT if the row committed, ABORT (then the others roll back) if it did not; if the log
 *       cannot tell now, the transaction is held in doubt for recovery;</li>
 *   <li>phase 2 of the others and the lazy END, exactly as in {@link PresumedAbortCommit}.</li>
 * </ol>
 * If every other branch votes read-only, the carrier still commits in one phase (its row is then
 * deleted with the END like any other).
 */
final class DecisionBranchCommit {

    private final PresumedAbortCommit protocol;
    private final CommitLog log;
    private final CrashInjector crash;

    DecisionBranchCommit(PresumedAbortCommit protocol, CommitLog log, CrashInjector crash) {
        this.protocol = protocol;
        this.log = log;
        this.crash = crash;
    }

    /**
     * Writes the COMMIT decision into the branch of the log's carrier if it is among two or more
     * {@code branches}; returns that participant, or null (nothing written).
     */
    Participant write(String gtrid, List<Participant> branches) {
        String carrierName = log.decisionCarrier();
        if (carrierName == null || branches.size() < 2) {
            return null;
        }
        Participant carrier = null;
        for (Participant p : branches) {
            if (p.resourceName().equals(carrierName)) {
                carrier = p;
                break;
            }
        }
        if (carrier == null) {
            return null;
        }
        List<BranchRecord> others = new ArrayList<>(branches.size() - 1);
        for (Participant p : branches) {
            if (!p.equals(carrier)) {
                others.add(p.toRecord());
            }
        }
        log.writeCommitInBranch(new CommitRecord(gtrid, others, System.currentTimeMillis()), carrier.resource(),
                carrier.xid());
        return carrier;
    }

    void commit(String gtrid, List<Participant> branches, Participant carrier, Progress progress)
            throws RollbackException, HeuristicMixedException, HeuristicRollbackException, SystemException {
        List<Participant> others = new ArrayList<>(branches.size() - 1);
        for (Participant p : branches) {
            if (!p.equals(carrier)) {
                others.add(p);
            }
        }
        int n = others.size();
        Participant[] yes = new Participant[n];
        int yesCount = 0;
        for (int i = 0; i < n; i++) {
            Participant p = others.get(i);
            XaOutcome vote;
            Exception failure = null;
            try {
                int returned = p.resource().prepare(p.xid());
                vote = XaOutcome.returned(XaCall.PREPARE, returned);
                if (vote != XaOutcome.PREPARED && vote != XaOutcome.READ_ONLY) {
                    failure = new IllegalStateException("prepare returned " + returned + ", which is neither XA_OK"
                            + " nor XA_RDONLY");
                }
            } catch (XAException e) {
                vote = XaOutcome.threw(XaCall.PREPARE, e.errorCode);
                failure = e;
            } catch (RuntimeException e) {
                vote = XaOutcome.threwUnchecked(XaCall.PREPARE);
                failure = e;
            }
            if (vote == XaOutcome.READ_ONLY) {
                continue;
            }
            if (vote != XaOutcome.PREPARED) {
                List<Participant> toRollBack = new ArrayList<>(Arrays.asList(yes).subList(0, yesCount));
                if (vote != XaOutcome.ROLLED_BACK) {
                    toRollBack.add(p);
                }
                toRollBack.addAll(others.subList(i + 1, n));
                toRollBack.add(carrier);
                rollBackAndThrow(gtrid, toRollBack, progress, "resource " + p.resourceName()
                        + (vote == XaOutcome.ROLLED_BACK ? " voted no in prepare (" : " failed in prepare (")
                        + XaCodes.describe(failure) + ")", failure);
                return; // not reached: it threw
            }
            yes[yesCount++] = p;
            if (crash != null && yesCount == 1 && i < n - 1) {
                crash.reached(CrashPoint.AFTER_SOME_PREPARED, gtrid);
            }
        }
        progress.reached(Status.STATUS_PREPARED);
        if (crash != null) {
            crash.reached(CrashPoint.BEFORE_DECISION_BRANCH_COMMIT, gtrid);
        }
        progress.reached(Status.STATUS_COMMITTING);
        Decision decided = commitCarrier(gtrid, carrier, yes, yesCount, progress);
        if (decided != Decision.COMMIT) {
            rollBackAndThrow(gtrid, Arrays.asList(yes).subList(0, yesCount), progress, "the one-phase commit of "
                    + carrier.resourceName() + ", which carries the decision, did not commit (the commit log holds"
                    + " ABORT)", null);
            return; // not reached: it threw
        }
        if (crash != null) {
            crash.reached(CrashPoint.AFTER_DECISION_BRANCH_COMMIT, gtrid);
        }
        protocol.phaseTwo(gtrid, yes, yesCount);
    }

    /**
     * Commits the carrier in one phase: COMMIT if it returned normally; otherwise what the log
     * settles (the row committed with the branch, or it did not).
     *
     * @throws SystemException the outcome cannot be learned now (held for recovery)
     */
    private Decision commitCarrier(String gtrid, Participant carrier, Participant[] yes, int yesCount,
            Progress progress) throws SystemException {
        Exception failure;
        XaOutcome outcome;
        try {
            carrier.resource().commit(carrier.xid(), true);
            return Decision.COMMIT;
        } catch (XAException e) {
            outcome = XaOutcome.threw(XaCall.ONE_PHASE_COMMIT, e.errorCode);
            failure = e;
        } catch (RuntimeException e) {
            outcome = XaOutcome.threwUnchecked(XaCall.ONE_PHASE_COMMIT);
            failure = e;
        }
        if (outcome.mustForget()) {
            BranchCompletion.forget(carrier.resource(), carrier);
            protocol.completion.record(carrier, true, outcome.heuristic(XaCall.ONE_PHASE_COMMIT),
                    XaCodes.describe(failure));
        }
        PresumedAbortCommit.LOG.warn("The one-phase commit of {}, which carries the decision of transaction {}, "
                + "answered {} ({}); settling the outcome through the commit log", carrier.resourceName(), gtrid,
                outcome, XaCodes.describe(failure));
        try {
            return log.settle(gtrid);
        } catch (RuntimeException e) { // CommitLogException: cannot tell now; anything else: neither
            e.addSuppressed(failure);
            protocol.holdUnconfirmed(gtrid);
            progress.reached(Status.STATUS_UNKNOWN);
            List<BranchRecord> prepared = new ArrayList<>(yesCount);
            for (int i = 0; i < yesCount; i++) {
                prepared.add(yes[i].toRecord());
            }
            PresumedAbortCommit.LOG.error("Transaction {} is IN DOUBT: the one-phase commit of {}, which carries its"
                    + " decision, failed with {} and the commit log cannot tell now whether it committed; prepared"
                    + " branches {} are left for recovery", gtrid, carrier.resourceName(), XaCodes.describe(failure),
                    prepared, e);
            throw PresumedAbortCommit.withCause(new SystemException("Outcome of transaction " + gtrid + " is in"
                    + " doubt: the one-phase commit of " + carrier.resourceName() + ", which carries its decision,"
                    + " failed with " + XaCodes.describe(failure) + " and the commit log could not tell whether it"
                    + " committed (" + e.getMessage() + "). The prepared branches " + prepared + " are left for"
                    + " recovery, which commits them if the decision row committed and rolls them back if not."), e);
        }
    }

    /** Rolls {@code toRollBack} back and throws what the application hears. */
    private void rollBackAndThrow(String gtrid, List<Participant> toRollBack, Progress progress, String why,
            Exception cause) throws RollbackException, HeuristicMixedException {
        progress.reached(Status.STATUS_ROLLING_BACK);
        PresumedAbortCommit.RollbackTally tally = protocol.rollBackAll(gtrid, toRollBack);
        if (tally.anyAgainstDecision()) {
            throw PresumedAbortCommit.withCause(new HeuristicMixedException("Transaction " + gtrid + " was rolled"
                    + " back because " + why + ", but some branches committed on their own (heuristic); see"
                    + " heuristicOutcomes()"), cause);
        }
        throw PresumedAbortCommit.withCause(new RollbackException("Transaction " + gtrid + " was rolled back"
                + " because " + why), cause);
    }
}
