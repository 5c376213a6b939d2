package io.quorumtx.tm.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import io.quorumtx.tm.xid.QuorumXid;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Transaction;
import java.time.Duration;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Phase-2 retries that meet answers which say nothing reliable about a branch (H2 2.4 answers
 * "unknown branch" with error code 0): the retrier asks the resource's recover() list instead of
 * retrying for ever, never concludes anything from an unreachable resource, never turns a commit
 * into a rollback, and hands the transaction to recovery after its bound.
 */
class Phase2UncertainAnswerTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);
    private static final int H2_UNKNOWN_BRANCH = 0;

    private final InMemoryCommitLog log = new InMemoryCommitLog();
    private final ScriptedXAResource a = new ScriptedXAResource("db-a");
    private final ScriptedXAResource b = new ScriptedXAResource("db-b").answerUnknownBranchWith(H2_UNKNOWN_BRANCH);
    private final ScriptedRecoverableResource recoverableA = new ScriptedRecoverableResource("db-a", a);
    private final ScriptedRecoverableResource recoverableB = new ScriptedRecoverableResource("db-b", b);
    private QuorumTransactionManager tm;

    @AfterEach
    void close() {
        if (tm != null) {
            tm.close();
        }
    }

    private QuorumTransactionManager manager(int retryAttempts, boolean registerResources) {
        tm = QuorumTransactionManager.builder().nodeId("n1").commitLog(log)
                .phase2Retry(Duration.ofMillis(2), Duration.ofMillis(10), retryAttempts)
                .recoveryInterval(Duration.ZERO) // recovery passes only when a test asks for one
                .build();
        if (registerResources) {
            tm.registerResource(recoverableA);
            tm.registerResource(recoverableB);
        }
        tm.recover(); // also waits out the passes the registrations queued, so they scan nothing a test scripts
        return tm;
    }

    private String commitAcrossAandB() throws Exception {
        tm.begin();
        Transaction tx = tm.getTransaction();
        tx.enlistResource(a);
        tx.enlistResource(b);
        String gtrid = ((QuorumXid) a.firstXid()).gtrid();
        tm.commit();
        return gtrid;
    }

    @Test
    void commitWhoseAnswerWasLostIsFinishedWhenTheRetryMeetsAnUnrecognisedCodeAndTheResourceNoLongerListsIt()
            throws Exception {
        manager(1000, true);
        b.loseReply(Op.COMMIT, XAException.XAER_RMFAIL, 1); // committed, but the answer never arrived

        String gtrid = commitAcrossAandB();

        Poll.until("END written for " + gtrid, WITHIN, () -> log.ends().contains(gtrid));
        assertThat(b.committed()).hasSize(1);
        assertThat(b.rolledBack()).isEmpty();
        assertThat(b.count(Op.COMMIT)).as("the phase-2 commit and one retry that met code 0; no blind retries")
                .isEqualTo(2);
        assertThat(log.unfinished()).isEmpty();
        assertThat(tm.pendingPhase2Retries()).isZero();
        assertThat(tm.heuristicOutcomes()).isEmpty();
    }

    @Test
    void branchStillListedAfterUnrecognisedCodesIsCommittedThroughARecoveryConnection() throws Exception {
        manager(1000, true);
        b.fail(Op.COMMIT, H2_UNKNOWN_BRANCH, 3); // fails before committing: the branch stays prepared

        String gtrid = commitAcrossAandB();

        Poll.until("END written for " + gtrid, WITHIN, () -> log.ends().contains(gtrid));
        assertThat(b.committed()).hasSize(1);
        assertThat(b.rolledBack()).isEmpty();
        assertThat(b.count(Op.COMMIT)).isEqualTo(4);
        assertThat(recoverableB.openedConnections()).isGreaterThanOrEqualTo(2);
        Poll.until("every recovery connection closed", WITHIN,
                () -> recoverableB.closedConnections() == recoverableB.openedConnections());
        assertThat(tm.heuristicOutcomes()).isEmpty();
    }

    @Test
    void unreachableResourceIsRetriedAndNeverCountedFinished() throws Exception {
        manager(1000, true);
        b.fail(Op.COMMIT, XAException.XAER_RMFAIL, 1).fail(Op.COMMIT, H2_UNKNOWN_BRANCH, 1);
        recoverableB.unreachable("Connection refused: db-b.example:5432");
        int before = recoverableB.openAttempts();

        String gtrid = commitAcrossAandB();

        Poll.until("several attempts to reach db-b", WITHIN, () -> recoverableB.openAttempts() - before >= 5);
        assertThat(log.ends()).doesNotContain(gtrid);
        assertThat(tm.pendingPhase2Retries()).isEqualTo(1);
        assertThat(b.prepared()).hasSize(1);
        assertThat(b.rolledBack()).isEmpty();

        recoverableB.unreachable(null);
        Poll.until("END written once db-b is back", WITHIN, () -> log.ends().contains(gtrid));
        assertThat(b.committed()).hasSize(1);
        assertThat(b.rolledBack()).isEmpty();
    }

    @Test
    void failingRecoverScanIsNotTakenAsAnAnswerAndTheBranchIsRetried() throws Exception {
        manager(1000, true);
        b.fail(Op.COMMIT, XAException.XAER_RMFAIL, 1).fail(Op.COMMIT, H2_UNKNOWN_BRANCH, 1)
                .fail(Op.RECOVER, H2_UNKNOWN_BRANCH, 3);
        int before = b.recoverCalls();

        String gtrid = commitAcrossAandB();

        Poll.until("END written after recover() answers again", WITHIN, () -> log.ends().contains(gtrid));
        assertThat(b.committed()).as("committed, not concluded finished from a failed scan").hasSize(1);
        assertThat(b.recoverCalls() - before).as("3 failed scans, then one that listed the branch").isEqualTo(4);
        assertThat(b.rolledBack()).isEmpty();
    }

    @Test
    void afterTheRetryBoundTheTransactionIsHandedToRecoveryWhichCommitsIt() throws Exception {
        manager(3, true);
        b.fail(Op.COMMIT, XAException.XAER_RMFAIL, 2);
        recoverableB.unreachable("Connection refused: db-b.example:5432");
        int before = recoverableB.openAttempts();

        String gtrid = commitAcrossAandB();

        Poll.until("the retrier lets go of " + gtrid, WITHIN, () -> tm.pendingPhase2Retries() == 0);
        assertThat(recoverableB.openAttempts() - before).as("retries 2 and 3 tried a recovery connection")
                .isEqualTo(2);
        assertThat(log.ends()).doesNotContain(gtrid);
        assertThat(log.decision(gtrid)).isEqualTo(Decision.COMMIT);
        assertThat(b.prepared()).hasSize(1);
        assertThat(b.rolledBack()).isEmpty();

        recoverableB.unreachable(null);
        tm.recover(); // what the next periodic pass does

        assertThat(b.committed()).hasSize(1);
        assertThat(b.rolledBack()).isEmpty();
        Poll.until("recovery wrote END for " + gtrid, WITHIN, () -> log.ends().contains(gtrid));
        assertThat(log.unfinished()).isEmpty();
    }

    @Test
    void withoutARegisteredResourceAnUnrecognisedCodeIsRetriedOnlyUpToTheBound() throws Exception {
        manager(3, false);
        b.fail(Op.COMMIT, H2_UNKNOWN_BRANCH, 100);

        String gtrid = commitAcrossAandB();

        Poll.until("the retrier lets go of " + gtrid, WITHIN, () -> tm.pendingPhase2Retries() == 0);
        assertThat(b.count(Op.COMMIT)).as("the phase-2 commit and 3 retries").isEqualTo(4);
        assertThat(log.ends()).as("nothing confirmed the branch finished").doesNotContain(gtrid);
        assertThat(log.decision(gtrid)).isEqualTo(Decision.COMMIT);
        assertThat(b.rolledBack()).isEmpty();
    }

    @Test
    void rollbackWhoseAnswerWasLostIsFinishedAndNeverCommitted() throws Exception {
        manager(1000, true);
        ScriptedXAResource c = new ScriptedXAResource("db-c");
        a.answerUnknownBranchWith(H2_UNKNOWN_BRANCH).loseReply(Op.ROLLBACK, XAException.XAER_RMFAIL, 1);
        c.voteNo();
        tm.begin();
        for (XAResource r : new XAResource[] {a, b, c}) {
            tm.getTransaction().enlistResource(r);
        }
        assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class);

        Poll.until("the retrier finished the rollback", WITHIN, () -> tm.pendingPhase2Retries() == 0);
        assertThat(a.rolledBack()).hasSize(1);
        assertThat(a.committed()).isEmpty();
        assertThat(a.count(Op.ROLLBACK)).as("the rollback and one retry that met code 0").isEqualTo(2);
        assertThat(log.commits()).isEmpty();
    }

    @Test
    void anErrorCodeXaDoesNotDefineIsNamedUnrecognised() {
        XAException e = new XAException("Transaction \"XID|...\" not found");
        assertThat(XaCodes.describe(e)).isEqualTo("unrecognised XA error code 0: Transaction \"XID|...\" not found");
        assertThat(XaCodes.isTransient(0)).isFalse();
        assertThat(XaCodes.isTransient(XAException.XAER_RMFAIL)).isTrue();
        assertThat(XaCodes.isTransient(XAException.XA_RETRY)).isTrue();
        assertThat(XaCodes.name(XAException.XAER_NOTA)).isEqualTo("XAER_NOTA");
    }
}
