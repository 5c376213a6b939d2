package io.quorumtx.tm.protocol;

import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import jakarta.transaction.HeuristicCommitException;
import jakarta.transaction.HeuristicMixedException;
import jakarta.transaction.HeuristicRollbackException;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.SystemException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.transaction.xa.XAException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The voting commit both protocols share: presumed abort (Mohan, Lindsay and Obermarck, 1986),
 * with one place between the forced decision and the commit of the branches where three-phase
 * commit adds its pre-commit round ({@link #preCommit}).
 *
 * <p>Only the COMMIT decision is ever logged, and only when at least two branches voted yes: a
 * transaction without a COMMIT record is rolled back by recovery. So a rollback, a one-phase
 * commit and an all-read-only transaction cost no log write, and the one forced write per
 * two-phase commit is the commit point. The sequence:
 * <ol>
 *   <li>one branch: commit it in one phase, log nothing;</li>
 *   <li>otherwise prepare each branch in turn; XA_RDONLY votes drop out; when every branch but the
 *       last has dropped out, the last commits in one phase instead of preparing. Or, when the
 *       {@link BranchFanOut} says so (two or more branches on database servers, where each prepare
 *       is a round trip and a force there), prepare them side by side and wait for every vote:
 *       then every branch is prepared, since skipping the last one's prepare needs every other
 *       vote before it starts, the very wait the fan-out removes;</li>
 *   <li>any NO vote or prepare error rolls every branch back (nothing logged) and throws
 *       {@link RollbackException} with that cause;</li>
 *   <li>force COMMIT{gtrid, yes-voters} to the {@link CommitLog}. If the log says the record was
 *       certainly not written, roll back; if durability is merely unconfirmed, the outcome is in
 *       doubt: leave the prepared branches to recovery and throw {@link SystemException};</li>
 *   <li>phase 2: commit each branch (side by side when the prepares were). A failure does not
 *       undo a decided commit: the branch goes to the {@link Phase2Retrier} and {@code commit()}
 *       returns normally;</li>
 *   <li>write END (lazy) once every branch is finished.</li>
 * </ol>
 * Heuristic answers are forgotten, recorded and surfaced as {@link HeuristicMixedException} or
 * {@link HeuristicRollbackException}.
 *
 * <p>{@link PresumedAbortTwoPhaseCommit} adds nothing; {@link ThreePhaseCommit} writes the
 * pre-commit markers and commits no branch before all of them are durable.
 */
abstract class PresumedAbortCommit implements CommitProtocol {
    static final Logger LOG = LoggerFactory.getLogger(PresumedAbortCommit.class);

    private final CommitLog log;
    final BranchCompletion completion;
    private final Phase2Retrier retrier;
    /** Runs the XA calls of several branches side by side, or serially. */
    protected final BranchFanOut fanOut;
    /** Finds the registered resource of a branch by name (null if none is registered). */
    protected final Function<String, RecoverableResource> resources;
    /** Null unless a crash test set one: then each crash point is one null check. */
    protected final CrashInjector crash;
    /** Gtrids whose COMMIT record may or may not be durable; decided only after the log is reopened. */
    private final Set<String> unconfirmed = ConcurrentHashMap.newKeySet();
    /** The path where a participant carries the decision (see {@link DecisionBranchCommit}). */
    private final DecisionBranchCommit decisionBranch;

    /**
     * @param log where COMMIT and END records go (not closed by this protocol)
     * @param heuristics told about every heuristic outcome
     * @param resources finds the {@link RecoverableResource} registered under a resource name, or null
     * @param threads makes the retry thread
     * @param retries back-off and bound of phase-2 retries (see {@link Phase2Retrier})
     * @param crash called (if not null) at each {@link CrashPoint} of the commit path
     * @param fanOut runs the XA calls of several branches side by side, or serially (not closed by this protocol)
     */
    protected PresumedAbortCommit(CommitLog log, Consumer<HeuristicOutcome> heuristics,
            Function<String, RecoverableResource> resources, ThreadFactory threads, RetrySchedule retries,
            CrashInjector crash, BranchFanOut fanOut) {
        this.crash = crash;
        this.fanOut = fanOut;
        this.resources = resources;
        this.log = log;
        this.completion = new BranchCompletion(heuristics);
        this.retrier = new Phase2Retrier(threads, log, completion, resources, retries);
        this.decisionBranch = new DecisionBranchCommit(this, log, crash, fanOut);
    }

    @Override
    public final void commit(String gtrid, List<Participant> branches, Progress progress)
            throws RollbackException, HeuristicMixedException, HeuristicRollbackException, SystemException {
        int n = branches.size();
        if (n == 0) {
            return;
        }
        if (n == 1) {
            progress.reached(Status.STATUS_COMMITTING);
            onePhase(branches.get(0));
            return;
        }
        String refusal = cannotCommit(branches);
        if (refusal != null) {
            progress.reached(Status.STATUS_ROLLING_BACK);
            rollBackAll(gtrid, branches);
            throw new RollbackException("Transaction " + gtrid + " was rolled back: " + refusal);
        }
        Participant[] yes = new Participant[n];
        int yesCount = 0;
        boolean parallel = fanOut.parallelFor(branches);
        if (parallel) {
            yesCount = prepareInParallel(gtrid, branches, yes, progress);
        }
        for (int i = 0; i < n && !parallel; i++) {
            Participant p = branches.get(i);
            if (i == n - 1 && yesCount == 0) {
                progress.reached(Status.STATUS_COMMITTING);
                onePhase(p);
                return;
            }
            BranchVote answer = BranchVote.prepare(p);
            XaOutcome vote = answer.outcome();
            Exception failure = answer.failure();
            if (vote == XaOutcome.READ_ONLY) {
                continue;
            }
            if (vote != XaOutcome.PREPARED) {
                // ROLLED_BACK: a NO vote, the branch is gone; anything else: it may be prepared, roll it back too.
                abortAfterFailedVote(gtrid, branches, yes, yesCount, i, vote == XaOutcome.ROLLED_BACK, failure,
                        progress);
                return;
            }
            yes[yesCount++] = p;
            if (crash != null && yesCount == 1 && i < n - 1) {
                crash.reached(CrashPoint.AFTER_SOME_PREPARED, gtrid);
            }
        }
        if (yesCount == 0) {
            return;
        }
        progress.reached(Status.STATUS_PREPARED);
        if (crash != null) {
            crash.reached(CrashPoint.AFTER_ALL_PREPARED, gtrid);
        }
        logDecision(gtrid, yes, yesCount, progress);
        if (crash != null) {
            crash.reached(CrashPoint.AFTER_COMMIT_RECORD, gtrid);
        }
        if (!preCommit(gtrid, yes, yesCount)) {
            return; // decided COMMIT; recovery commits the branches (see preCommit)
        }
        progress.reached(Status.STATUS_COMMITTING);
        phaseTwo(gtrid, yes, yesCount);
    }

    @Override
    public final Participant writeDecisionInBranch(String gtrid, List<Participant> branches) {
        return carriesDecisionInBranch() ? decisionBranch.write(gtrid, branches) : null;
    }

    @Override
    public final void commit(String gtrid, List<Participant> branches, Participant carrier, Progress progress)
            throws RollbackException, HeuristicMixedException, HeuristicRollbackException, SystemException {
        if (carrier == null) {
            commit(gtrid, branches, progress);
        } else {
            decisionBranch.commit(gtrid, branches, carrier, progress);
        }
    }

    /**
     * Whether the commit log may carry the decision in a participant's one-phase commit
     * ({@link CommitLog#decisionCarrier()}). True for 2PC; 3PC says no, because its pre-commit
     * markers must all be written after a durable decision and before any branch commits.
     */
    protected boolean carriesDecisionInBranch() {
        return true;
    }

    /** Holds {@code gtrid} until the log settles it (see {@link #settleUnconfirmed}). */
    final void holdUnconfirmed(String gtrid) {
        unconfirmed.add(gtrid);
    }

    /**
     * Why these branches (two or more) cannot be committed by this protocol, or null if they can.
     * Asked before any prepare, so a refusal rolls back cleanly.
     */
    protected String cannotCommit(List<Participant> branches) {
        return null;
    }

    /**
     * Runs after the COMMIT decision is durable and before any branch is committed. Returns false
     * to commit no branch now: the decision stands, {@code commit} returns normally and recovery
     * commits the branches from the logged decision.
     */
    protected boolean preCommit(String gtrid, Participant[] yes, int yesCount) {
        return true;
    }

    /** Runs once END is written for a commit whose every branch committed. */
    protected void ended(String gtrid, Participant[] yes, int yesCount) {
    }

    @Override
    public final void rollback(String gtrid, List<Participant> branches, Progress progress)
            throws HeuristicMixedException, HeuristicCommitException {
        progress.reached(Status.STATUS_ROLLING_BACK);
        RollbackTally tally = rollBackAll(gtrid, branches);
        if (tally.anyAgainstDecision()) {
            String what = "Transaction " + gtrid + " was rolled back, but " + tally.againstDecision()
                    + " branch(es) committed or may have committed on their own (heuristic); see heuristicOutcomes()";
            if (tally.mixed() == 0 && tally.asDecided() == 0) {
                throw new HeuristicCommitException(what);
            }
            throw new HeuristicMixedException(what);
        }
    }

    @Override
    public int pendingRetries() {
        return retrier.pendingTransactions();
    }

    @Override
    public void settleUnconfirmed() {
        if (unconfirmed.isEmpty() || !log.settlesInDoubt()) {
            return;
        }
        for (String gtrid : List.copyOf(unconfirmed)) {
            try {
                Decision d = log.settle(gtrid);
                unconfirmed.remove(gtrid);
                LOG.warn("Transaction {}, whose commit record could not be confirmed, is settled: {}; recovery finishes"
                        + " its branches accordingly", gtrid, d);
            } catch (CommitLogException e) {
                LOG.debug("Transaction {} is still in doubt: {}", gtrid, e.getMessage());
            }
        }
    }

    @Override
    public boolean holds(String gtrid) {
        return retrier.isRetrying(gtrid) || unconfirmed.contains(gtrid);
    }

    @Override
    public void close() {
        retrier.close();
    }

    private void onePhase(Participant p)
            throws RollbackException, HeuristicMixedException, HeuristicRollbackException, SystemException {
        XaOutcome outcome;
        Exception failure;
        try {
            p.resource().commit(p.xid(), true);
            return;
        } catch (XAException e) {
            outcome = XaOutcome.threw(XaCall.ONE_PHASE_COMMIT, e.errorCode);
            failure = e;
        } catch (RuntimeException e) {
            outcome = XaOutcome.threwUnchecked(XaCall.ONE_PHASE_COMMIT);
            failure = e;
        }
        if (outcome.mustForget()) {
            BranchCompletion.forget(p.resource(), p);
        }
        String detail = XaCodes.describe(failure);
        switch (outcome) {
            case COMMITTED -> {
                return;
            }
            case ROLLED_BACK -> throw withCause(new RollbackException("Transaction " + p.xid().gtrid() + " was rolled"
                    + " back: resource " + p.resourceName() + " rolled back its branch in one-phase commit (" + detail
                    + ")"), failure);
            case HEURISTIC_COMMIT -> // agrees with the decision
                    completion.record(p, true, outcome.heuristic(XaCall.ONE_PHASE_COMMIT), detail);
            case HEURISTIC_ROLLBACK -> {
                completion.record(p, true, outcome.heuristic(XaCall.ONE_PHASE_COMMIT), detail);
                throw withCause(new HeuristicRollbackException("Transaction " + p.xid().gtrid()
                        + ": resource " + p.resourceName() + " rolled back heuristically"), failure);
            }
            case HEURISTIC_MIXED, HEURISTIC_HAZARD -> {
                completion.record(p, true, outcome.heuristic(XaCall.ONE_PHASE_COMMIT), detail);
                throw withCause(new HeuristicMixedException("Transaction " + p.xid().gtrid()
                        + ": resource " + p.resourceName() + " reported " + detail), failure);
            }
            default -> throw unknownOnePhaseOutcome(p, failure);
        }
    }

    private SystemException unknownOnePhaseOutcome(Participant p, Exception e) {
        String detail = "one-phase commit failed with " + XaCodes.describe(e) + "; outcome unknown";
        completion.record(p, true, HeuristicOutcome.Kind.HAZARD, detail);
        return withCause(new SystemException("Outcome of transaction " + p.xid().gtrid() + " is unknown: "
                + "the one-phase commit of resource " + p.resourceName() + " failed with " + XaCodes.describe(e)
                + " and the resource may or may not have committed; check that database"), e);
    }

    private void abortAfterFailedVote(String gtrid, List<Participant> branches, Participant[] yes, int yesCount,
            int failed, boolean failedAlreadyRolledBack, Exception cause, Progress progress)
            throws RollbackException, HeuristicMixedException {
        List<Participant> toRollBack = new ArrayList<>(branches.size());
        toRollBack.addAll(Arrays.asList(yes).subList(0, yesCount));
        if (!failedAlreadyRolledBack) {
            toRollBack.add(branches.get(failed));
        }
        toRollBack.addAll(branches.subList(failed + 1, branches.size()));
        abortAfterFailedVote(gtrid, toRollBack, branches.get(failed), failedAlreadyRolledBack, cause, progress);
    }

    /**
     * The prepare round side by side ({@link BranchFanOut}): the same votes as the serial loop,
     * decided once every branch has answered. Every branch is prepared (no one-phase last branch,
     * see the class comment). A NO vote or a prepare error anywhere rolls back every branch not
     * known to be gone (yes-voters and failures that may have left a prepared branch; not NO or
     * read-only voters), and the exception names the first failing branch in enlistment order, the
     * one the serial loop would have met first. With a crash injector the committing thread's own
     * branch is prepared first and {@link CrashPoint#AFTER_SOME_PREPARED} fires, when it voted yes,
     * before any other starts. Returns the number of yes-voters put into {@code yes}.
     */
    private int prepareInParallel(String gtrid, List<Participant> branches, Participant[] yes, Progress progress)
            throws RollbackException, HeuristicMixedException {
        int n = branches.size();
        BranchVote[] votes = fanOut.prepare(branches,
                crash == null ? null : () -> crash.reached(CrashPoint.AFTER_SOME_PREPARED, gtrid));
        int yesCount = 0;
        int failed = -1;
        for (int i = 0; i < n; i++) {
            if (votes[i].yes()) {
                yes[yesCount++] = branches.get(i);
            } else if (!votes[i].readOnly() && failed < 0) {
                failed = i;
            }
        }
        if (failed < 0) {
            return yesCount;
        }
        List<Participant> toRollBack = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (votes[i].yes() || !(votes[i].readOnly() || votes[i].rolledBack())) {
                toRollBack.add(branches.get(i));
            }
        }
        try {
            abortAfterFailedVote(gtrid, toRollBack, branches.get(failed), votes[failed].rolledBack(),
                    votes[failed].failure(), progress);
        } catch (RollbackException | HeuristicMixedException e) {
            for (int i = failed + 1; i < n; i++) {
                if (votes[i].failure() != null) {
                    e.addSuppressed(votes[i].failure());
                }
            }
            throw e;
        }
        throw new AssertionError("abortAfterFailedVote returned");
    }

    private void abortAfterFailedVote(String gtrid, List<Participant> toRollBack, Participant p,
            boolean failedAlreadyRolledBack, Exception cause, Progress progress)
            throws RollbackException, HeuristicMixedException {
        progress.reached(Status.STATUS_ROLLING_BACK);
        RollbackTally tally = rollBackAll(gtrid, toRollBack);
        String why = "resource " + p.resourceName() + (failedAlreadyRolledBack ? " voted no in prepare ("
                : " failed in prepare (") + XaCodes.describe(cause) + ")";
        if (tally.anyAgainstDecision()) {
            throw withCause(new HeuristicMixedException("Transaction " + gtrid + " was rolled back because " + why
                    + ", but some branches committed on their own (heuristic); see heuristicOutcomes()"), cause);
        }
        throw withCause(new RollbackException("Transaction " + gtrid + " was rolled back because " + why), cause);
    }

    private void logDecision(String gtrid, Participant[] yes, int yesCount, Progress progress)
            throws RollbackException, HeuristicMixedException, SystemException {
        List<BranchRecord> records = new ArrayList<>(yesCount);
        for (int i = 0; i < yesCount; i++) {
            records.add(yes[i].toRecord());
        }
        try {
            log.logCommit(new CommitRecord(gtrid, records, System.currentTimeMillis()));
        } catch (CommitLogException e) {
            if (e.definitelyNotWritten()) {
                progress.reached(Status.STATUS_ROLLING_BACK);
                RollbackTally tally = rollBackAll(gtrid, Arrays.asList(yes).subList(0, yesCount));
                String why = "Transaction " + gtrid + " was rolled back: its commit record could not be written ("
                        + e.getMessage() + ")";
                if (tally.anyAgainstDecision()) {
                    throw withCause(new HeuristicMixedException(why + ", and some branches committed on their own"
                            + " (heuristic); see heuristicOutcomes()"), e);
                }
                throw withCause(new RollbackException(why), e);
            }
            unconfirmed.add(gtrid);
            throw inDoubt(gtrid, records, e, progress);
        } catch (RuntimeException e) {
            unconfirmed.add(gtrid);
            throw inDoubt(gtrid, records, e, progress);
        }
    }

    private static SystemException inDoubt(String gtrid, List<BranchRecord> records, RuntimeException e,
            Progress progress) {
        progress.reached(Status.STATUS_UNKNOWN);
        LOG.error("Transaction {} is IN DOUBT: its commit record may or may not be durable; prepared branches {} "
                + "are left for recovery", gtrid, records, e);
        return withCause(new SystemException("Outcome of transaction " + gtrid + " is in doubt: the commit log "
                + "could not confirm the commit record (" + e.getMessage() + "). The prepared branches " + records
                + " are left for recovery, which commits them if the record is durable and rolls them back if not."),
                e);
    }

    final void phaseTwo(String gtrid, Participant[] yes, int yesCount)
            throws HeuristicMixedException, HeuristicRollbackException {
        int committed = 0;
        int rolledBack = 0;
        int mixed = 0;
        List<Participant> retry = null;
        List<Participant> committing = Arrays.asList(yes).subList(0, yesCount);
        BranchCompletion.Result[] parallel = !fanOut.parallelFor(committing) ? null
                : fanOut.complete(committing, completion, XaCall.PHASE2_COMMIT,
                        crash == null ? null : () -> crash.reached(CrashPoint.BETWEEN_PHASE2_COMMITS, gtrid));
        for (int i = 0; i < yesCount; i++) {
            Participant p = yes[i];
            if (crash != null && i > 0 && parallel == null) {
                crash.reached(CrashPoint.BETWEEN_PHASE2_COMMITS, gtrid);
            }
            switch (parallel != null ? parallel[i] : completion.complete(p.resource(), p, XaCall.PHASE2_COMMIT)) {
                case DONE, HEURISTIC_COMMIT -> committed++;
                case HEURISTIC_ROLLBACK -> rolledBack++;
                case HEURISTIC_MIXED -> mixed++;
                case RETRY, UNCERTAIN -> {
                    committed++; // decided and durable: the retrier or recovery will commit it
                    if (retry == null) {
                        retry = new ArrayList<>(yesCount - i);
                    }
                    retry.add(p);
                }
            }
        }
        if (retry == null) {
            try {
                log.logEnd(gtrid);
                ended(gtrid, yes, yesCount);
            } catch (RuntimeException e) {
                // END is only a hint that lets the log forget; recovery re-drives a finished commit harmlessly.
                LOG.warn("Could not write END for {}; recovery will re-drive its finished commit", gtrid, e);
            }
        } else {
            LOG.warn("Transaction {} committed, but branches {} could not be committed yet; retrying in the "
                    + "background", gtrid, retry);
            retrier.retryCommit(gtrid, retry);
        }
        if (mixed > 0 || (rolledBack > 0 && committed > 0)) {
            throw new HeuristicMixedException("Transaction " + gtrid + " was decided COMMIT, but " + (mixed + rolledBack)
                    + " branch(es) rolled back or may have rolled back on their own (heuristic); see heuristicOutcomes()");
        }
        if (rolledBack > 0) {
            throw new HeuristicRollbackException("Transaction " + gtrid + " was decided COMMIT, but every branch "
                    + "rolled back on its own (heuristic); see heuristicOutcomes()");
        }
    }

    /**
     * How the branches of one rollback ended: rolled back as decided (or left to the retrier or
     * recovery, which presumed abort rolls back), committed on their own ({@code contrary}), or
     * partly committed ({@code mixed}), the last two heuristically.
     */
    protected record RollbackTally(int asDecided, int contrary, int mixed) {
        /** Some branch committed, or may have, against the decision. */
        boolean anyAgainstDecision() {
            return contrary > 0 || mixed > 0;
        }

        int againstDecision() {
            return contrary + mixed;
        }
    }

    /** Rolls back each branch and counts how they ended. */
    protected final RollbackTally rollBackAll(String gtrid, List<Participant> branches) {
        int asDecided = 0;
        int contrary = 0;
        int mixed = 0;
        List<Participant> retry = null;
        BranchCompletion.Result[] parallel = !fanOut.parallelFor(branches) ? null
                : fanOut.complete(branches, completion, XaCall.ROLLBACK, null);
        for (int i = 0; i < branches.size(); i++) {
            Participant p = branches.get(i);
            switch (parallel != null ? parallel[i] : completion.complete(p.resource(), p, XaCall.ROLLBACK)) {
                case DONE, HEURISTIC_ROLLBACK -> asDecided++;
                case HEURISTIC_COMMIT -> contrary++;
                case HEURISTIC_MIXED -> mixed++;
                case RETRY, UNCERTAIN -> {
                    asDecided++; // presumed abort: the retrier or recovery rolls it back
                    if (retry == null) {
                        retry = new ArrayList<>(2);
                    }
                    retry.add(p);
                }
            }
        }
        if (retry != null) {
            retrier.retryRollback(gtrid, retry);
        }
        return new RollbackTally(asDecided, contrary, mixed);
    }

    protected static <T extends Exception> T withCause(T e, Throwable cause) {
        e.initCause(cause);
        return e;
    }
}
