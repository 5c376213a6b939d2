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
 *   <li>prepare the others, side by side through the manager's {@link BranchFanOut} when it
 *       says so for them (as the path without a carrier: {@code branchExecution} and
 *       {@link io.quorumtx.tm.spi.ResourceLocality} decide), else serially; a NO vote or error rolls every branch back, the carrier's
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
    private final BranchFanOut fanOut;

    DecisionBranchCommit(PresumedAbortCommit protocol, CommitLog log, CrashInjector crash, BranchFanOut fanOut) {
        this.protocol = protocol;
        this.log = log;
        this.crash = crash;
        this.fanOut = fanOut;
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
        int yesCount = fanOut.parallelFor(others) ? prepareInParallel(gtrid, others, carrier, yes, progress)
                : prepareSerially(gtrid, others, carrier, yes, progress);
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
     * Prepares the other branches one after the other; on a NO vote or an error rolls back the
     * yes-voters, the failed branch (unless its NO vote rolled it back), the branches not yet
     * asked and the carrier, and throws. Returns the number of yes-voters put into {@code yes}.
     */
    private int prepareSerially(String gtrid, List<Participant> others, Participant carrier, Participant[] yes,
            Progress progress) throws RollbackException, HeuristicMixedException {
        int n = others.size();
        int yesCount = 0;
        for (int i = 0; i < n; i++) {
            Participant p = others.get(i);
            BranchVote vote = BranchVote.prepare(p);
            if (vote.readOnly()) {
                continue;
            }
            if (!vote.yes()) {
                List<Participant> toRollBack = new ArrayList<>(Arrays.asList(yes).subList(0, yesCount));
                if (!vote.rolledBack()) {
                    toRollBack.add(p);
                }
                toRollBack.addAll(others.subList(i + 1, n));
                toRollBack.add(carrier);
                rollBackAndThrow(gtrid, toRollBack, progress, whyRolledBack(p, vote), vote.failure());
                throw new AssertionError("rollBackAndThrow returned");
            }
            yes[yesCount++] = p;
            if (crash != null && yesCount == 1 && i < n - 1) {
                crash.reached(CrashPoint.AFTER_SOME_PREPARED, gtrid);
            }
        }
        return yesCount;
    }

    /**
     * Prepares the other branches side by side through the manager's {@link BranchFanOut}, as the
     * path without a carrier does: the same votes as the serial loop, decided once every branch has
     * answered. A NO vote or an error anywhere rolls back every branch not known to be gone, and
     * the carrier; the exception names the first failing branch in enlistment order. With a crash
     * injector, {@link CrashPoint#AFTER_SOME_PREPARED} fires after the committing thread's own
     * branch voted yes and before any other starts, as in serial mode.
     */
    private int prepareInParallel(String gtrid, List<Participant> others, Participant carrier, Participant[] yes,
            Progress progress) throws RollbackException, HeuristicMixedException {
        int n = others.size();
        BranchVote[] votes = fanOut.prepare(others,
                crash == null ? null : () -> crash.reached(CrashPoint.AFTER_SOME_PREPARED, gtrid));
        int yesCount = 0;
        int failed = -1;
        for (int i = 0; i < n; i++) {
            if (votes[i].yes()) {
                yes[yesCount++] = others.get(i);
            } else if (!votes[i].readOnly() && failed < 0) {
                failed = i;
            }
        }
        if (failed < 0) {
            return yesCount;
        }
        List<Participant> toRollBack = new ArrayList<>(n + 1);
        for (int i = 0; i < n; i++) {
            if (votes[i].yes() || !(votes[i].readOnly() || votes[i].rolledBack())) {
                toRollBack.add(others.get(i));
            }
        }
        toRollBack.add(carrier);
        try {
            rollBackAndThrow(gtrid, toRollBack, progress, whyRolledBack(others.get(failed), votes[failed]),
                    votes[failed].failure());
        } catch (RollbackException | HeuristicMixedException e) {
            for (int i = failed + 1; i < n; i++) {
                if (votes[i].failure() != null) {
                    e.addSuppressed(votes[i].failure());
                }
            }
            throw e;
        }
        throw new AssertionError("rollBackAndThrow returned");
    }

    private static String whyRolledBack(Participant p, BranchVote vote) {
        return "resource " + p.resourceName() + (vote.rolledBack() ? " voted no in prepare (" : " failed in prepare (")
                + XaCodes.describe(vote.failure()) + ")";
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

    /** Rolls {@code toRollBack} back and throws what the application hears; never returns. */
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
