package io.quorumtx.tm.protocol;

import java.nio.charset.StandardCharsets;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.RecordingSynchronization;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import jakarta.transaction.HeuristicMixedException;
import jakarta.transaction.HeuristicRollbackException;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.SystemException;
import jakarta.transaction.Transaction;
import java.time.Duration;
import java.util.List;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The presumed-abort 2PC paths, driven through the transaction manager. */
class TwoPhaseCommitTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);

    private final InMemoryCommitLog log = new InMemoryCommitLog();
    private final QuorumTransactionManager tm = QuorumTransactionManager.builder()
            .nodeId("n1")
            .commitLog(log)
            .phase2Retry(Duration.ofMillis(5), Duration.ofMillis(40))
            .build();
    private final ScriptedXAResource a = new ScriptedXAResource("db-a");
    private final ScriptedXAResource b = new ScriptedXAResource("db-b");

    @AfterEach
    void close() {
        tm.close();
    }

    private String runWith(XAResource... resources) throws Exception {
        tm.begin();
        Transaction tx = tm.getTransaction();
        for (XAResource r : resources) {
            tx.enlistResource(r);
        }
        String gtrid = ((io.quorumtx.tm.xid.QuorumXid) ((ScriptedXAResource) resources[0]).firstXid()).gtrid();
        tm.commit();
        return gtrid;
    }

    @Test
    void singleBranchCommitsInOnePhaseAndLogsNothing() throws Exception {
        runWith(a);
        assertThat(a.ops()).containsExactly(Op.START, Op.END, Op.COMMIT);
        assertThat(a.calls().get(2).flags()).isEqualTo(XAResource.TMONEPHASE);
        assertThat(a.committed()).hasSize(1);
        assertThat(log.logCommitCalls()).isZero();
    }

    @Test
    void twoBranchesPrepareLogCommitCommitAndWriteEnd() throws Exception {
        String gtrid = runWith(a, b);
        assertThat(a.ops()).containsExactly(Op.START, Op.END, Op.PREPARE, Op.COMMIT);
        assertThat(b.ops()).containsExactly(Op.START, Op.END, Op.PREPARE, Op.COMMIT);
        assertThat(a.calls().get(3).flags()).isEqualTo(XAResource.TMNOFLAGS);
        assertThat(log.commits()).singleElement().satisfies(r -> {
            assertThat(r.gtrid()).isEqualTo(gtrid);
            assertThat(r.branches()).containsExactly(new BranchRecord("db-a", "db-a"), new BranchRecord("db-b", "db-b"));
        });
        assertThat(log.ends()).containsExactly(gtrid);
        assertThat(a.committed()).hasSize(1);
        assertThat(b.committed()).hasSize(1);
    }

    @Test
    void commitRecordIsLoggedAfterEveryPrepareAndBeforeAnyBranchCommits() throws Exception {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        ScriptedXAResource watching = new ScriptedXAResource("db-w") {
            @Override
            public synchronized void commit(javax.transaction.xa.Xid xid, boolean onePhase) throws XAException {
                String gtrid = ((io.quorumtx.tm.xid.QuorumXid) xid).gtrid();
                seen.add("commit: decision=" + log.decision(gtrid) + " prepared(a)=" + a.prepared().size()
                        + " committed(a)=" + a.committed().size());
                super.commit(xid, onePhase);
            }
        };
        runWith(watching, a);
        assertThat(seen).containsExactly("commit: decision=COMMIT prepared(a)=1 committed(a)=0");
    }

    @Test
    void readOnlyVoteDropsOutAndIsNotLogged() throws Exception {
        ScriptedXAResource c = new ScriptedXAResource("db-c");
        b.voteReadOnly();
        runWith(a, b, c);
        assertThat(b.ops()).containsExactly(Op.START, Op.END, Op.PREPARE);
        assertThat(log.commits()).singleElement().satisfies(r -> assertThat(r.branches())
                .extracting(BranchRecord::resourceName).containsExactly("db-a", "db-c"));
        assertThat(a.committed()).hasSize(1);
        assertThat(c.committed()).hasSize(1);
    }

    @Test
    void readOnlyVoteThrownAsXAExceptionAlsoDropsOut() throws Exception {
        ScriptedXAResource c = new ScriptedXAResource("db-c");
        a.fail(Op.PREPARE, XAException.XA_RDONLY, 1);
        runWith(a, b, c);
        assertThat(a.count(Op.COMMIT)).isZero();
        assertThat(log.commits()).singleElement().satisfies(r -> assertThat(r.branches())
                .extracting(BranchRecord::resourceName).containsExactly("db-b", "db-c"));
    }

    @Test
    void heuristicAnswerMetByTheRetryQueueIsRecordedAndTheTransactionFinished() throws Exception {
        b.fail(Op.COMMIT, XAException.XAER_RMFAIL, 1).fail(Op.COMMIT, XAException.XA_HEURRB, 1);
        String gtrid = runWith(a, b); // the application was told: committed
        Poll.until("END written after the heuristic answer", WITHIN, () -> log.ends().contains(gtrid));
        assertThat(tm.heuristicOutcomes()).singleElement().satisfies(h -> {
            assertThat(h.gtrid()).isEqualTo(gtrid);
            assertThat(h.kind()).isEqualTo(HeuristicOutcome.Kind.ROLLED_BACK);
        });
        assertThat(b.count(Op.FORGET)).isEqualTo(1);
    }

    @Test
    void whenAllButTheLastVoteReadOnlyTheLastCommitsInOnePhaseWithoutLogging() throws Exception {
        a.voteReadOnly();
        runWith(a, b);
        assertThat(b.ops()).containsExactly(Op.START, Op.END, Op.COMMIT);
        assertThat(b.calls().get(2).flags()).isEqualTo(XAResource.TMONEPHASE);
        assertThat(b.committed()).hasSize(1);
        assertThat(log.logCommitCalls()).isZero();
    }

    @Test
    void noVoteRollsBackEveryBranchLogsNothingAndThrowsRollbackExceptionWithCause() throws Exception {
        ScriptedXAResource c = new ScriptedXAResource("db-c");
        b.voteNo();
        List<String> journal = RecordingSynchronization.journal();
        tm.begin();
        tm.getTransaction().registerSynchronization(new RecordingSynchronization("s", journal));
        for (XAResource r : List.of(a, b, c)) {
            tm.getTransaction().enlistResource(r);
        }
        assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class)
                .hasMessageContaining("db-b voted no")
                .cause().isInstanceOf(XAException.class);
        assertThat(a.rolledBack()).hasSize(1); // prepared, then rolled back
        assertThat(b.rolledBack()).hasSize(1); // rolled itself back when voting no
        assertThat(b.count(Op.ROLLBACK)).isZero();
        assertThat(c.ops()).containsExactly(Op.START, Op.END, Op.ROLLBACK); // never prepared
        assertThat(log.logCommitCalls()).isZero();
        assertThat(journal).containsExactly("s.before", "s.after(" + Status.STATUS_ROLLEDBACK + ")");
    }

    @Test
    void prepareErrorRollsBackIncludingTheFailedBranch() throws Exception {
        b.fail(Op.PREPARE, XAException.XAER_RMERR, 1);
        assertThatThrownBy(() -> runWith(a, b)).isInstanceOf(RollbackException.class)
                .hasMessageContaining("XAER_RMERR");
        assertThat(a.rolledBack()).hasSize(1);
        assertThat(b.count(Op.ROLLBACK)).isEqualTo(1);
        assertThat(log.commits()).isEmpty();
    }

    @Test
    void phaseTwoFailureDoesNotFailTheCommitAndIsRetriedUntilDoneThenEndIsWritten() throws Exception {
        ScriptedRecoverableResource recoverable = new ScriptedRecoverableResource("db-b", b);
        tm.registerResource(recoverable);
        b.fail(Op.COMMIT, XAException.XAER_RMFAIL, 3);
        String gtrid = runWith(a, b); // returns normally: the decision is durable
        assertThat(log.decision(gtrid)).isEqualTo(io.quorumtx.tm.log.Decision.COMMIT);
        Poll.until("branch db-b committed by the retry queue and END written", WITHIN,
                () -> log.ends().contains(gtrid));
        assertThat(b.committed()).hasSize(1);
        assertThat(b.count(Op.COMMIT)).isEqualTo(4);
        // Retries 2 and 3 open recovery connections (the first reuses the XAResource); recovery passes
        // open their own, but leave the branch to the retrier: no more than the retrier's 4 commits.
        assertThat(recoverable.openedConnections()).isGreaterThanOrEqualTo(2);
        Poll.until("every recovery connection closed", WITHIN,
                () -> recoverable.closedConnections() == recoverable.openedConnections());
        assertThat(tm.pendingPhase2Retries()).isZero();
        assertThat(tm.heuristicOutcomes()).isEmpty();
    }

    @Test
    void phaseTwoRuntimeFailureIsRetriedWithTheSameResourceWhenNoneIsRegistered() throws Exception {
        b.fail(Op.COMMIT, new IllegalStateException("connection reset"), 2);
        String gtrid = runWith(a, b);
        Poll.until("END written after retries", WITHIN, () -> log.ends().contains(gtrid));
        assertThat(b.committed()).hasSize(1);
    }

    @Test
    void notaOnRetryMeansTheBranchIsAlreadyDone() throws Exception {
        b.fail(Op.COMMIT, XAException.XA_RETRY, 1).fail(Op.COMMIT, XAException.XAER_NOTA, 1);
        String gtrid = runWith(a, b);
        Poll.until("END written", WITHIN, () -> log.ends().contains(gtrid));
        assertThat(b.count(Op.COMMIT)).isEqualTo(2);
    }

    @Test
    void preparedBranchUnknownToItsResourceAtFirstCommitWasFinishedByTheFinalCommitAndIsNoHazard() throws Exception {
        b.fail(Op.COMMIT, XAException.XAER_NOTA, 1); // as after another node's takeover committed it (WronglyPresumedDeadTest)
        String gtrid = runWith(a, b);
        assertThat(tm.heuristicOutcomes()).isEmpty();
        assertThat(log.ends()).contains(gtrid);
        assertThat(tm.pendingPhase2Retries()).isZero();
    }

    @Test
    void heuristicRollbackOfOneBranchAfterCommitDecisionIsHeuristicMixed() throws Exception {
        b.fail(Op.COMMIT, XAException.XA_HEURRB, 1);
        tm.begin();
        tm.getTransaction().enlistResource(a);
        tm.getTransaction().enlistResource(b);
        String gtrid = ((io.quorumtx.tm.xid.QuorumXid) a.firstXid()).gtrid();
        assertThatThrownBy(tm::commit).isInstanceOf(HeuristicMixedException.class).hasMessageContaining(gtrid);
        assertThat(a.committed()).hasSize(1);
        assertThat(b.count(Op.FORGET)).isEqualTo(1);
        assertThat(tm.heuristicOutcomes()).singleElement().satisfies(h -> {
            assertThat(h.gtrid()).isEqualTo(gtrid);
            assertThat(h.resourceName()).isEqualTo("db-b");
            assertThat(h.kind()).isEqualTo(HeuristicOutcome.Kind.ROLLED_BACK);
            assertThat(h.decision()).isEqualTo(HeuristicOutcome.Decision.COMMIT);
        });
        assertThat(log.ends()).contains(gtrid);
    }

    @Test
    void heuristicRollbackOfEveryBranchIsHeuristicRollback() throws Exception {
        a.fail(Op.COMMIT, XAException.XA_HEURRB, 1);
        b.fail(Op.COMMIT, XAException.XA_HEURRB, 1);
        assertThatThrownBy(() -> runWith(a, b)).isInstanceOf(HeuristicRollbackException.class);
        assertThat(tm.heuristicOutcomes()).hasSize(2);
    }

    @Test
    void heuristicHazardIsReportedAsMixed() throws Exception {
        a.fail(Op.COMMIT, XAException.XA_HEURHAZ, 1);
        assertThatThrownBy(() -> runWith(a, b)).isInstanceOf(HeuristicMixedException.class);
        assertThat(tm.heuristicOutcomes()).extracting(HeuristicOutcome::kind)
                .containsExactly(HeuristicOutcome.Kind.HAZARD);
    }

    @Test
    void heuristicCommitDuringCommitIsForgottenAndRecordedAsAgreeingWithoutFailingTheCommit() throws Exception {
        b.fail(Op.COMMIT, XAException.XA_HEURCOM, 1);
        String gtrid = runWith(a, b);
        assertThat(b.count(Op.FORGET)).isEqualTo(1);
        assertThat(tm.heuristicOutcomes()).as("visible, as recovery shows it too").singleElement().satisfies(h -> {
            assertThat(h.kind()).isEqualTo(HeuristicOutcome.Kind.COMMITTED);
            assertThat(h.contradictsDecision()).isFalse();
        });
        assertThat(log.ends()).contains(gtrid);
    }

    @Test
    void heuristicCommitDuringRollbackIsReported() throws Exception {
        b.voteNo();
        a.fail(Op.ROLLBACK, XAException.XA_HEURCOM, 1);
        assertThatThrownBy(() -> runWith(a, b)).isInstanceOf(HeuristicMixedException.class);
        assertThat(tm.heuristicOutcomes()).singleElement().satisfies(h -> {
            assertThat(h.kind()).isEqualTo(HeuristicOutcome.Kind.COMMITTED);
            assertThat(h.decision()).isEqualTo(HeuristicOutcome.Decision.ROLLBACK);
            assertThat(h.contradictsDecision()).isTrue();
        });
    }

    @Test
    void heuristicCommitDuringApplicationRollbackThrowsSystemException() throws Exception {
        a.fail(Op.ROLLBACK, XAException.XA_HEURCOM, 1);
        tm.begin();
        tm.getTransaction().enlistResource(a);
        tm.getTransaction().enlistResource(b);
        assertThatThrownBy(tm::rollback).isInstanceOf(SystemException.class).hasMessageContaining("heuristic");
        assertThat(tm.heuristicOutcomes()).hasSize(1);
    }

    @Test
    void logFailureThatCertainlyWroteNothingRollsBack() throws Exception {
        log.failNextCommit(true);
        assertThatThrownBy(() -> runWith(a, b)).isInstanceOf(RollbackException.class)
                .hasMessageContaining("commit record could not be written")
                .hasCauseInstanceOf(CommitLogException.class);
        assertThat(a.rolledBack()).hasSize(1);
        assertThat(b.rolledBack()).hasSize(1);
        assertThat(a.committed()).isEmpty();
    }

    @Test
    void logFailureThatMayHaveWrittenLeavesTheTransactionInDoubtForRecovery() throws Exception {
        log.failNextCommit(false);
        tm.begin();
        Transaction tx = tm.getTransaction();
        tx.enlistResource(a);
        tx.enlistResource(b);
        assertThatThrownBy(tm::commit).isInstanceOf(SystemException.class).hasMessageContaining("in doubt")
                .hasMessageContaining("recovery");
        assertThat(a.prepared()).hasSize(1); // neither committed nor rolled back
        assertThat(b.prepared()).hasSize(1);
        assertThat(a.committed()).isEmpty();
        assertThat(a.rolledBack()).isEmpty();
        assertThat(tx.getStatus()).isEqualTo(Status.STATUS_UNKNOWN);
    }

    @Test
    void onePhaseRollbackAnswerThrowsRollbackException() throws Exception {
        a.fail(Op.COMMIT, XAException.XA_RBDEADLOCK, 1);
        assertThatThrownBy(() -> runWith(a)).isInstanceOf(RollbackException.class)
                .hasMessageContaining("XA_RBDEADLOCK");
    }

    @Test
    void onePhaseCommitWithUnknownOutcomeThrowsSystemExceptionAndRecordsHazard() throws Exception {
        a.fail(Op.COMMIT, XAException.XAER_RMFAIL, 1);
        assertThatThrownBy(() -> runWith(a)).isInstanceOf(SystemException.class).hasMessageContaining("unknown");
        assertThat(tm.heuristicOutcomes()).extracting(HeuristicOutcome::kind)
                .containsExactly(HeuristicOutcome.Kind.HAZARD);
    }

    @Test
    void endFailureBeforePrepareRollsBack() throws Exception {
        a.fail(Op.END, XAException.XAER_RMFAIL, 1);
        assertThatThrownBy(() -> runWith(a, b)).isInstanceOf(RollbackException.class)
                .hasCauseInstanceOf(XAException.class);
        assertThat(b.rolledBack()).hasSize(1);
        assertThat(log.commits()).isEmpty();
    }

    @Test
    void twoUnjoinableBranchesOfOneNamedResourceGetDistinctQualifiers() throws Exception {
        ScriptedXAResource a2 = new ScriptedXAResource("db-a");
        runWith(a, a2);
        assertThat(log.commits()).singleElement().satisfies(r -> assertThat(r.branches())
                .containsExactly(new BranchRecord("db-a", "db-a"), new BranchRecord("db-a", "db-a~2")));
    }

    @Test
    void unnamedResourcesGetGeneratedQualifiers() throws Exception {
        ScriptedXAResource u1 = new ScriptedXAResource(null);
        ScriptedXAResource u2 = new ScriptedXAResource(null);
        runWith(u1, u2);
        assertThat(u1.firstXid().getBranchQualifier()).isEqualTo("r1".getBytes(StandardCharsets.US_ASCII));
        assertThat(u2.firstXid().getBranchQualifier()).isEqualTo("r2".getBytes(StandardCharsets.US_ASCII));
        assertThat(u1.committed()).hasSize(1);
    }
}
