package io.quorumtx.tm.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.ArrayList;
import java.util.List;
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
}
