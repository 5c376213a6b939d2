package io.quorumtx.tm.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.BranchExecution;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import jakarta.transaction.RollbackException;
import jakarta.transaction.SystemException;
import jakarta.transaction.Transaction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The path where a participant carries the decision ({@link CommitLog#decisionCarrier()}): the row
 * written into its branch before end, the others prepared, the carrier committed in one phase as
 * the commit point, and every answer of that one-phase commit other than success settled through the log.
 */
class DecisionBranchCommitTest {

    /** A log whose decisions ride in resource db-a's branch; settle answers as the test says. */
    private static final class CarriedLog implements CommitLog {
        final InMemoryCommitLog delegate = new InMemoryCommitLog();
        final List<CommitRecord> carried = new ArrayList<>();
        final List<List<Op>> carrierOpsAtWrite = new ArrayList<>();
        volatile Supplier<Decision> settle = () -> Decision.COMMIT;

        @Override
        public String decisionCarrier() {
            return "db-a";
        }

        @Override
        public void writeCommitInBranch(CommitRecord record, XAResource carrierResource, Xid xid) {
            carried.add(record);
            carrierOpsAtWrite.add(((ScriptedXAResource) carrierResource).ops());
        }

        @Override
        public Decision settle(String gtrid) {
            return settle.get();
        }

        @Override
        public boolean settlesInDoubt() {
            return true;
        }

        @Override
        public void logCommit(CommitRecord record) {
            delegate.logCommit(record);
        }

        @Override
        public void logEnd(String gtrid) {
            delegate.logEnd(gtrid);
        }

        @Override
        public void logEndForced(String gtrid) {
            delegate.logEndForced(gtrid);
        }

        @Override
        public void logBranchDone(String gtrid, BranchRecord branch) {
            delegate.logBranchDone(gtrid, branch);
        }

        @Override
        public boolean isBranchDone(String gtrid, BranchRecord branch) {
            return delegate.isBranchDone(gtrid, branch);
        }

        @Override
        public Decision decision(String gtrid) {
            return delegate.decision(gtrid);
        }

        @Override
        public List<CommitRecord> unfinished() {
            return delegate.unfinished();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    private final CarriedLog log = new CarriedLog();
    private final QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1").commitLog(log).build();
    private final ScriptedXAResource a = new ScriptedXAResource("db-a");
    private final ScriptedXAResource b = new ScriptedXAResource("db-b");

    @AfterEach
    void close() {
        tm.close();
    }

    private void commitBoth() throws Exception {
        tm.begin();
        Transaction tx = tm.getTransaction();
        tx.enlistResource(a);
        tx.enlistResource(b);
        tm.commit();
    }

    @Test
    void theCarrierGetsTheRowBeforeEndAndCommitsInOnePhaseWithNoLogForce() throws Exception {
        commitBoth();

        assertThat(log.carrierOpsAtWrite).containsExactly(List.of(Op.START));
        assertThat(log.carried).singleElement().satisfies(r ->
                assertThat(r.branches()).as("the other branches only").containsExactly(new BranchRecord("db-b", "db-b")));
        assertThat(a.ops()).containsExactly(Op.START, Op.END, Op.COMMIT);
        assertThat(a.calls().get(2).flags()).isEqualTo(XAResource.TMONEPHASE);
        assertThat(b.ops()).containsExactly(Op.START, Op.END, Op.PREPARE, Op.COMMIT);
        assertThat(log.delegate.logCommitCalls()).as("no separate log force").isZero();
        assertThat(log.delegate.ends()).hasSize(1);
    }

    @Test
    void aNoVoteOfAnotherBranchRollsTheCarrierBackToo() throws Exception {
        b.voteNo();

        assertThatThrownBy(this::commitBoth).isInstanceOf(RollbackException.class).hasMessageContaining("voted no");

        assertThat(a.ops()).containsExactly(Op.START, Op.END, Op.ROLLBACK);
        assertThat(a.committed()).isEmpty();
    }

    @Test
    void aLostCarrierCommitThatTheLogSettlesAsCommitCommitsTheOthers() throws Exception {
        a.fail(Op.COMMIT, XAException.XAER_RMFAIL, 1);
        log.settle = () -> Decision.COMMIT;

        commitBoth();

        assertThat(b.committed()).hasSize(1);
        assertThat(b.rolledBack()).isEmpty();
    }

    @Test
    void aLostCarrierCommitThatTheLogSettlesAsAbortRollsTheOthersBack() throws Exception {
        a.fail(Op.COMMIT, XAException.XAER_RMFAIL, 1);
        log.settle = () -> Decision.ABORT;

        assertThatThrownBy(this::commitBoth).isInstanceOf(RollbackException.class).hasMessageContaining("ABORT");

        assertThat(b.rolledBack()).hasSize(1);
        assertThat(b.committed()).isEmpty();
    }

    @Test
    void aLostCarrierCommitThatTheLogCannotSettleLeavesTheOthersPreparedForRecovery() throws Exception {
        a.fail(Op.COMMIT, XAException.XAER_RMFAIL, 1);
        log.settle = () -> {
            throw CommitLogException.inDoubt("a coordinator may still be committing it");
        };

        assertThatThrownBy(this::commitBoth).isInstanceOf(SystemException.class).hasMessageContaining("in doubt");

        assertThat(b.prepared()).hasSize(1);
        assertThat(b.committed()).isEmpty();
        assertThat(b.rolledBack()).isEmpty();
    }

    @Test
    void whenEveryOtherBranchIsReadOnlyTheCarrierStillCommitsInOnePhase() throws Exception {
        b.voteReadOnly();

        commitBoth();

        assertThat(a.ops()).containsExactly(Op.START, Op.END, Op.COMMIT);
        assertThat(a.committed()).hasSize(1);
    }

    /** A hook that returns once {@code latch} is down (every party entered), or fails after {@code deadline}. */
    private static Runnable meeting(CountDownLatch latch, Duration deadline) {
        return () -> {
            latch.countDown();
            try {
                if (!latch.await(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("the other branch never entered prepare: not side by side");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        };
    }

    private static void commitThree(QuorumTransactionManager manager, XAResource... resources) throws Exception {
        manager.begin();
        for (XAResource r : resources) {
            manager.getTransaction().enlistResource(r);
        }
        manager.commit();
    }

    /**
     * The branches other than the carrier are prepared side by side, like the path without a
     * carrier: two server branches that each wait in prepare for the other both get through (a
     * serial prepare would leave the first one waiting alone until its deadline).
     */
    @Test
    void theOtherServerBranchesArePreparedSideBySide() throws Exception {
        CountDownLatch bothPreparing = new CountDownLatch(2);
        Duration meet = Duration.ofSeconds(10); // only a broken build waits it out
        Set<String> threads = ConcurrentHashMap.newKeySet();
        ScriptedXAResource carrier = new ScriptedXAResource("db-a").remote();
        ScriptedXAResource b = new ScriptedXAResource("db-b").remote().onCall(Op.PREPARE, () -> {
            threads.add(Thread.currentThread().getName());
            meeting(bothPreparing, meet).run();
        });
        ScriptedXAResource c = new ScriptedXAResource("db-c").remote().onCall(Op.PREPARE, () -> {
            threads.add(Thread.currentThread().getName());
            meeting(bothPreparing, meet).run();
        });
        try (QuorumTransactionManager manager = QuorumTransactionManager.builder().nodeId("fan").commitLog(log)
                .branchExecution(BranchExecution.AUTO, 4).build()) {
            commitThree(manager, carrier, b, c);
        }
        assertThat(threads).as("one prepare on the committing thread, one on a branch thread")
                .containsExactlyInAnyOrder(Thread.currentThread().getName(), "quorumtx-fan-branch");
        assertThat(carrier.ops()).containsExactly(Op.START, Op.END, Op.COMMIT);
        assertThat(carrier.calls().get(2).flags()).as("the carrier still commits in one phase, after both prepares")
                .isEqualTo(XAResource.TMONEPHASE);
        assertThat(b.committed()).hasSize(1);
        assertThat(c.committed()).hasSize(1);
        assertThat(log.carried).singleElement().satisfies(r -> assertThat(r.branches())
                .containsExactly(new BranchRecord("db-b", "db-b"), new BranchRecord("db-c", "db-c")));
    }

    /** SERIAL keeps them one after the other: the first prepare waits alone and the whole transaction rolls back. */
    @Test
    void serialModePreparesTheOtherBranchesOneAfterTheOther() throws Exception {
        CountDownLatch bothPreparing = new CountDownLatch(2);
        Duration shortWait = Duration.ofMillis(300);
        ScriptedXAResource carrier = new ScriptedXAResource("db-a").remote();
        ScriptedXAResource b = new ScriptedXAResource("db-b").remote().onCall(Op.PREPARE,
                meeting(bothPreparing, shortWait));
        ScriptedXAResource c = new ScriptedXAResource("db-c").remote().onCall(Op.PREPARE,
                meeting(bothPreparing, shortWait));
        try (QuorumTransactionManager manager = QuorumTransactionManager.builder().nodeId("ser").commitLog(log)
                .branchExecution(BranchExecution.SERIAL).build()) {
            assertThatThrownBy(() -> commitThree(manager, carrier, b, c)).isInstanceOf(RollbackException.class)
                    .hasMessageContaining("resource db-b failed in prepare");
        }
        assertThat(c.count(Op.PREPARE)).as("c is never prepared after b failed").isZero();
        assertThat(carrier.ops()).as("the carrier, with its uncommitted row, is rolled back")
                .containsExactly(Op.START, Op.END, Op.ROLLBACK);
    }

    /** A NO vote while the other branch is still preparing: every branch not known gone is rolled back, the carrier too. */
    @Test
    void aNoVoteInTheParallelPrepareRollsBackTheOthersAndTheCarrier() throws Exception {
        ScriptedXAResource carrier = new ScriptedXAResource("db-a").remote();
        ScriptedXAResource c = new ScriptedXAResource("db-c").remote().voteNo();
        ScriptedXAResource b = new ScriptedXAResource("db-b").remote().onCall(Op.PREPARE,
                () -> Poll.until("c voted no while b is preparing", Duration.ofSeconds(10),
                        () -> c.count(Op.PREPARE) == 1));
        try (QuorumTransactionManager manager = QuorumTransactionManager.builder().nodeId("par-no").commitLog(log)
                .branchExecution(BranchExecution.PARALLEL).build()) {
            assertThatThrownBy(() -> commitThree(manager, carrier, b, c)).isInstanceOf(RollbackException.class)
                    .hasMessageContaining("resource db-c voted no");
        }
        assertThat(b.rolledBack()).as("b, prepared after c's no, is rolled back").hasSize(1);
        assertThat(c.count(Op.ROLLBACK)).as("a no-voter is not rolled back again").isZero();
        assertThat(carrier.ops()).containsExactly(Op.START, Op.END, Op.ROLLBACK);
        assertThat(b.committed()).isEmpty();
        assertThat(carrier.committed()).isEmpty();
    }
}
