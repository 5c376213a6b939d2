package io.quorumtx.tm.log;

import java.util.List;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * The one boundary between the commit protocol and durability.
 *
 * <p>Presumed abort: only COMMIT decisions are ever written. A transaction whose gtrid has no
 * COMMIT record is, once it is old enough that it cannot still be committing, aborted. That is
 * why {@link #logCommit} is the commit point of a two-phase commit and why nothing is logged
 * for a rollback or for a one-phase commit.
 *
 * <p>Implementations: the local append-only log ({@code LocalCommitLog}), the Paxos-replicated
 * log ({@code ReplicatedCommitLog}) and the database log ({@code io.quorumtx.jdbc.dblog.DatabaseCommitLog}
 * in jdbc-adapter), which can also let a participant carry the decision in its own one-phase
 * commit ({@link #decisionCarrier()}). All must be safe for many committing threads at once;
 * callers never synchronise around a log.
 */
public interface CommitLog extends AutoCloseable {

    /**
     * Makes the COMMIT decision for {@code record.gtrid()} durable. Returns only when the record
     * would survive a crash of this process and of the machine (the record is forced).
     *
     * @throws CommitLogException if durability cannot be confirmed; see
     *     {@link CommitLogException#definitelyNotWritten()} for whether the caller may still abort.
     */
    void logCommit(CommitRecord record);

    /**
     * Records that every branch of a committed transaction is finished, so its COMMIT record may
     * be forgotten. Lazy: not forced; a lost END only means recovery re-drives an already
     * finished commit, which is harmless because XA commit of a forgotten Xid is a no-op.
     * Never throws for a closed or failed log, for the same reason.
     */
    void logEnd(String gtrid);

    /**
     * As {@link #logEnd}, but returns only once the END is forced. For recovery and the phase-2
     * retrier, after they finished branches of a logged commit: once the database has forgotten
     * those branches, the log must not keep a COMMIT that a re-listed branch could be matched to
     * (see {@link #logBranchDone}). Never used on the commit path, whose END stays lazy.
     *
     * @throws CommitLogException if the END cannot be confirmed durable
     */
    void logEndForced(String gtrid);

    /**
     * Records, forced, that one branch of the unfinished commit {@code gtrid} is finished (recovery
     * or the phase-2 retrier committed it, or the resource reported it already finished). Returns
     * only once the record is durable. A no-op if {@code gtrid} has no unfinished COMMIT.
     *
     * <p>Why: a database may list a branch it has already finished again later (H2 2.4.240 lists
     * an unprepared transaction after a restart under the name of a recovered in-doubt branch
     * that was resolved earlier). While the COMMIT is held, recovery would commit that impostor;
     * with this record it knows the branch is finished and rolls the impostor back instead.
     *
     * @throws CommitLogException if the record cannot be confirmed durable
     */
    void logBranchDone(String gtrid, BranchRecord branch);

    /**
     * True if {@link #logBranchDone} recorded this branch of the commit {@code gtrid}. The local log
     * knows it until the END (after which the COMMIT itself is forgotten); the replicated log, whose
     * tombstone still answers COMMIT after END, for as long as its acceptors keep the instance, and
     * for every branch once the END is written (it is written only when all are finished).
     *
     * @throws CommitLogException if it cannot be known now (the replicated log without a majority)
     */
    boolean isBranchDone(String gtrid, BranchRecord branch);

    /**
     * The logged decision for a gtrid: COMMIT if a COMMIT record is held, otherwise UNKNOWN.
     * A COMMIT becomes visible here only once it is durable. After its END is logged an
     * implementation may forget it and answer UNKNOWN (the local log does so at once): every
     * branch has finished, so no prepared branch is left for the answer to decide.
     */
    Decision decision(String gtrid);

    /**
     * Decides {@code gtrid} if nothing is decided yet, for recovery, which calls it only when the
     * owner can no longer decide (gone, or the transaction is older than the safety interval). The
     * local log answers as {@link #decision} (nothing logged: presumed abort); the replicated log
     * runs a Paxos takeover, which carries on an accepted COMMIT or chooses ABORT.
     *
     * @throws CommitLogException if the decision cannot be reached now (no majority)
     */
    default Decision settle(String gtrid) {
        return decision(gtrid);
    }

    /**
     * True if node {@code nodeId} has stopped renewing its lease (the replicated log: a majority of
     * acceptors has not heard from it for a whole lease), so its transactions may be taken over.
     * The local log knows no other nodes: false.
     */
    default boolean isOwnerLeaseLapsed(String nodeId) {
        return false;
    }

    /**
     * True if a commit whose record could not be confirmed can later be decided by
     * {@link #settle} while this log stays open (the replicated log, once a majority answers).
     * The local log fails stop: such commits are decided only after it is reopened.
     */
    default boolean settlesInDoubt() {
        return false;
    }

    /**
     * True once the log has failed stop: a write or force failed, so it accepts no more commits
     * until the transaction manager is restarted and the log reopened (see {@code LocalCommitLog}).
     * For health checks; a log that cannot fail this way answers false.
     */
    default boolean hasFailed() {
        return false;
    }

    /**
     * The resource name of the participant that can carry this log's COMMIT decision inside its
     * own branch, or null (the default: none). When a two-phase transaction has two or more branches
     * and one of them lives in the resource named here, the protocol writes the decision into that
     * branch ({@link #writeCommitInBranch}) before the branches are ended, prepares the others and
     * then commits that branch in one phase: its local commit is the commit point, and there is no
     * separate log force. The database log names the {@code TransactionalDataSource} of its own database.
     */
    default String decisionCarrier() {
        return null;
    }

    /**
     * Writes the COMMIT decision {@code record} into the still-open branch {@code xid} of
     * {@code carrierResource} (a branch of the resource named by {@link #decisionCarrier()}). Not
     * durable, and not visible to {@link #decision}, until that branch commits; gone if it rolls
     * back. {@code record} lists the other branches only: the carrier's own branch commits with it.
     * Called on the committing thread before {@code XAResource.end}, so the write joins the branch
     * in both wrapping styles.
     *
     * @throws CommitLogException (always {@link CommitLogException#definitelyNotWritten()}) if the
     *     decision cannot be carried by this branch (for example the named resource is a different
     *     database than the log's); the caller rolls the transaction back
     */
    default void writeCommitInBranch(CommitRecord record, XAResource carrierResource, Xid xid) {
        throw CommitLogException.notWritten("this commit log (" + getClass().getSimpleName()
                + ") cannot carry a decision in a participant's branch");
    }

    /**
     * Called once by the transaction manager when it starts, before its first transaction and its
     * first recovery pass, with its node id and the boot epoch in every gtrid it will issue. The
     * database log registers the incarnation (its lease and its fence) here; others ignore it.
     *
     * @throws CommitLogException if the incarnation cannot be registered (the manager does not start)
     */
    default void startIncarnation(String nodeId, String bootEpoch) {
    }

    /** Called by the manager with a way to request a recovery pass when another node's lease lapses. */
    default void onTakeoverNeeded(Runnable trigger) {
    }

    /** Every COMMIT record that has no END yet, oldest first: the work recovery must re-drive. */
    List<CommitRecord> unfinished();

    /** Releases files, threads and locks. Idempotent. A closed log rejects logCommit. */
    @Override
    void close();
}
