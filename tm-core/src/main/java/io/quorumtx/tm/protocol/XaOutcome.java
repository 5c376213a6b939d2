package io.quorumtx.tm.protocol;

import io.quorumtx.tm.protocol.HeuristicOutcome;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;

/**
 * What one XA answer means for its branch: the one classifier of XA outcomes, used by the commit
 * path ({@code BranchCompletion}, one-phase commit and prepare in {@link PresumedAbortCommit}),
 * the {@link Phase2Retrier} and recovery ({@code BranchResolver}), so that no two of them read the
 * same answer differently. {@link #returned}, {@link #threw} and {@link #threwUnchecked} are pure
 * functions of the answer and the {@link XaCall} it answered; what a caller then does (retry,
 * forget, report, throw) is its own. The table is in the README ("Heuristics") and every code in
 * every context is pinned by {@code XaOutcomeTableTest}.
 *
 * <p><b>XAER_NOTA ("unknown branch") after a COMMIT decision means committed.</b> This is the
 * one entry that needs an argument; it is what lets a coordinator that was wrongly presumed dead
 * (it paused past its lease, another node took its transaction over and committed its branches)
 * report the commit that happened instead of a heuristic hazard.
 * <ol>
 *   <li>In every commit context the transaction's COMMIT is <i>final</i> before the call is
 *       made: phase 2 starts only after {@code CommitLog.logCommit} returned, which the local log
 *       does once the record is forced and the replicated log once COMMIT is chosen by a majority
 *       (a later takeover learns it; it cannot choose ABORT). Recovery commits only on a logged or
 *       chosen COMMIT, on a pre-commit marker (written only after the decision was final), or on
 *       the operator's COMMIT (logged before any branch is touched).</li>
 *   <li>The branch voted yes: the resource durably prepared it and, by XA, keeps it until told to
 *       commit or roll back. A resource that finishes a prepared branch on its own does so
 *       heuristically and must report XA_HEUR* (and remember the branch until {@code forget}); that
 *       stays a heuristic here. So a prepared branch the resource no longer knows was finished by
 *       a {@code commit} or {@code rollback} someone sent for this Xid.</li>
 *   <li>Who sends them: this coordinator, its retrier, the recovery of any node or of the tool.
 *       None of them rolls back a branch of a transaction whose COMMIT is final: recovery rolls
 *       back only without a decision (presumed abort, which waits until the owner can no longer
 *       decide: its lease lapsed, its incarnation ended, or the safety interval passed; and a
 *       takeover that chose ABORT means the coordinator's COMMIT was never chosen and phase 2
 *       never runs) or on a chosen ABORT; the operator's {@code --rollback} is refused for a logged
 *       COMMIT and for a branch with a marker. Nobody rolled it back before the decision either:
 *       the owner's own recovery leaves a running transaction alone, other nodes leave it until
 *       its lease lapses, the timeout reaper stops at prepare. So whoever finished it committed it.</li>
 *   <li>Three-phase commit adds one actor: recovery when the log is lost, which rolls back
 *       marker-less branches. It does so only for the owners the operator declared lost
 *       ({@code resolve --assume-log-lost=NODE}), nodes that are not running, and a coordinator
 *       commits no branch before every participant holds its marker; so no live coordinator's
 *       branch can be rolled back under it either.</li>
 *   <li>A one-phase commit is different: the branch was never prepared, the resource may roll it
 *       back by itself at any time (timeout, lost session) and recovery never sees it. There
 *       XAER_NOTA means the resource threw the work away: {@link #ROLLED_BACK}. Before a decision
 *       (prepare) an unknown branch says nothing: {@link #UNCERTAIN}, and it is rolled back.</li>
 *   <li>What the argument cannot cover: a commit log whose {@code logCommit} could return before
 *       the decision is final (or a decision that can still change) would let presumed abort roll
 *       a branch back between the prepare and phase 2; such a log breaks the {@code CommitLog}
 *       contract, and the protocol never runs phase 2 when the log could not confirm the record
 *       (the outcome is then in doubt and left to recovery). A resource that loses a prepared
 *       branch without a heuristic report (restored from a backup, a failover to a replica that
 *       had not received the PREPARE, an operator's hand-typed ROLLBACK PREPARED) answers XAER_NOTA
 *       too and is indistinguishable here; it breaks XA's durability of prepare, which no
 *       transaction manager can detect from this answer.</li>
 * </ol>
 * In the rollback contexts XAER_NOTA is {@link #ALREADY_ROLLED_BACK}: no COMMIT exists, and a
 * branch is never committed without one, except heuristically (reported as XA_HEURCOM).
 *
 * <p>Other codes, briefly: XA_RB* is a rollback by the resource (a NO vote in prepare; for a
 * commit of a prepared branch the resource broke its vote, which callers report as a heuristic
 * rollback). XA_HEUR* is the resource's own decision: callers tell it to {@code forget} and record
 * the heuristic, whether or not it agrees with the decision. XAER_RMFAIL and XA_RETRY are
 * transient in phase 2 and recovery. XAER_RMERR is "rolled back" for a one-phase commit (XA's
 * definition) but {@link #UNCERTAIN} after a prepare, because drivers also use it for failures
 * that leave the branch prepared. Everything else, including codes XA does not define (H2 2.4
 * answers 0 for an unknown branch), is {@link #UNCERTAIN}: only the resource's {@code recover()}
 * list can tell. A driver's unchecked exception is {@link #RETRY} in phase 2 and recovery and
 * {@link #UNCERTAIN} where nothing can be retried (prepare, one-phase commit).
 */
public enum XaOutcome {
    /** Prepare voted yes. */
    PREPARED,
    /** Prepare voted read-only: the branch is finished and takes no part in phase 2. */
    READ_ONLY,
    /** The branch is committed by this call. */
    COMMITTED,
    /**
     * The branch is rolled back: by this call, or by the resource (XA_RB*; for a one-phase commit
     * also XAER_NOTA and XAER_RMERR). For a commit of a prepared branch this contradicts COMMIT.
     */
    ROLLED_BACK,
    /** XAER_NOTA of a commit after the final COMMIT: someone applying that decision committed it first (see above). */
    ALREADY_COMMITTED,
    /** XAER_NOTA of a rollback where no COMMIT exists: it is rolled back already. */
    ALREADY_ROLLED_BACK,
    /** XA_HEURCOM: the resource committed the branch on its own; it must be forgotten. */
    HEURISTIC_COMMIT,
    /** XA_HEURRB: the resource rolled the branch back on its own; it must be forgotten. */
    HEURISTIC_ROLLBACK,
    /** XA_HEURMIX: part of the branch committed and part rolled back; it must be forgotten. */
    HEURISTIC_MIXED,
    /** XA_HEURHAZ: the resource cannot tell what happened to the branch; it must be forgotten. */
    HEURISTIC_HAZARD,
    /** Transient (XAER_RMFAIL, XA_RETRY, or a driver exception in phase 2): the branch is as it was; try again. */
    RETRY,
    /**
     * The answer says nothing reliable about the branch: after a prepare, only the resource's
     * {@code recover()} list can tell whether it is still prepared; in prepare, roll it back; in a
     * one-phase commit, the outcome is unknown.
     */
    UNCERTAIN;

    /** True for the XA_HEUR* outcomes: the resource keeps the branch until it is told to forget it. */
    public boolean mustForget() {
        return this == HEURISTIC_COMMIT || this == HEURISTIC_ROLLBACK || this == HEURISTIC_MIXED
                || this == HEURISTIC_HAZARD;
    }

    /**
     * The heuristic this outcome of {@code call} reports, or null if it reports none: an XA_HEUR*
     * answer in any context ({@link #mustForget}), and {@link #ROLLED_BACK} of a commit of a
     * prepared branch (the resource rolled back a branch that voted yes: a heuristic rollback).
     * A rollback in one-phase commit is not one (nothing was prepared: the transaction rolled
     * back), nor in prepare (a NO vote) or in a rollback context (what was asked for). The one
     * place the commit path, the retrier and recovery read heuristics from.
     */
    public HeuristicOutcome.Kind heuristic(XaCall call) {
        return switch (this) {
            case HEURISTIC_COMMIT -> HeuristicOutcome.Kind.COMMITTED;
            case HEURISTIC_ROLLBACK -> HeuristicOutcome.Kind.ROLLED_BACK;
            case HEURISTIC_MIXED -> HeuristicOutcome.Kind.MIXED;
            case HEURISTIC_HAZARD -> HeuristicOutcome.Kind.HAZARD;
            case ROLLED_BACK -> call.commits() && call != XaCall.ONE_PHASE_COMMIT ? HeuristicOutcome.Kind.ROLLED_BACK
                    : null;
            default -> null;
        };
    }

    /** The call returned normally; {@code value} is what it returned (prepare's vote; 0 for the others). */
    public static XaOutcome returned(XaCall call, int value) {
        return switch (call) {
            case PREPARE -> value == XAResource.XA_OK ? PREPARED : value == XAResource.XA_RDONLY ? READ_ONLY : UNCERTAIN;
            case ONE_PHASE_COMMIT, PHASE2_COMMIT, PHASE2_COMMIT_RETRY, RECOVERY_COMMIT -> COMMITTED;
            case ROLLBACK, RECOVERY_ROLLBACK -> ROLLED_BACK;
        };
    }

    /** The call threw {@link XAException} with {@code errorCode}. */
    public static XaOutcome threw(XaCall call, int errorCode) {
        return switch (call) {
            case PREPARE -> XaCodes.isRollback(errorCode) ? ROLLED_BACK
                    : errorCode == XAException.XA_RDONLY ? READ_ONLY : UNCERTAIN;
            case ONE_PHASE_COMMIT -> onePhase(errorCode);
            case PHASE2_COMMIT, PHASE2_COMMIT_RETRY, RECOVERY_COMMIT -> afterPrepare(errorCode, ALREADY_COMMITTED);
            case ROLLBACK, RECOVERY_ROLLBACK -> afterPrepare(errorCode, ALREADY_ROLLED_BACK);
        };
    }

    /** The call threw an unchecked exception (a driver that does not keep to XA): nothing is known. */
    public static XaOutcome threwUnchecked(XaCall call) {
        return call == XaCall.PREPARE || call == XaCall.ONE_PHASE_COMMIT ? UNCERTAIN : RETRY;
    }

    private static XaOutcome onePhase(int code) {
        if (XaCodes.isRollback(code) || code == XAException.XAER_NOTA || code == XAException.XAER_RMERR) {
            return ROLLED_BACK;
        }
        XaOutcome heuristic = heuristic(code);
        return heuristic != null ? heuristic : UNCERTAIN;
    }

    /** A commit or rollback of a branch that may be prepared; {@code gone} is what XAER_NOTA means there. */
    private static XaOutcome afterPrepare(int code, XaOutcome gone) {
        if (XaCodes.isRollback(code)) {
            return ROLLED_BACK;
        }
        XaOutcome heuristic = heuristic(code);
        if (heuristic != null) {
            return heuristic;
        }
        if (code == XAException.XAER_NOTA) {
            return gone;
        }
        return XaCodes.isTransient(code) ? RETRY : UNCERTAIN;
    }

    private static XaOutcome heuristic(int code) {
        return switch (code) {
            case XAException.XA_HEURCOM -> HEURISTIC_COMMIT;
            case XAException.XA_HEURRB -> HEURISTIC_ROLLBACK;
            case XAException.XA_HEURMIX -> HEURISTIC_MIXED;
            case XAException.XA_HEURHAZ -> HEURISTIC_HAZARD;
            default -> null;
        };
    }
}
