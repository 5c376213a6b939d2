package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.RecordingSynchronization;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import jakarta.transaction.InvalidTransactionException;
import jakarta.transaction.NotSupportedException;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.SystemException;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.transaction.xa.XAResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JtaSemanticsTest {
    private final InMemoryCommitLog log = new InMemoryCommitLog();
    private final QuorumTransactionManager tm = TmFixture.manager(log);

    @AfterEach
    void close() {
        tm.close();
    }

    @Test
    void beginAssociatesAnActiveTransactionWithTheThread() throws Exception {
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
        assertThat(tm.getTransaction()).isNull();
        tm.begin();
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_ACTIVE);
        assertThat(tm.getTransaction()).isNotNull();
        tm.commit();
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
    }

    @Test
    void nestedBeginThrowsNotSupported() throws Exception {
        tm.begin();
        assertThatThrownBy(tm::begin).isInstanceOf(NotSupportedException.class).hasMessageContaining("nested");
        tm.rollback();
    }

    @Test
    void commitOrRollbackWithoutTransactionThrowsIllegalState() {
        assertThatThrownBy(tm::commit).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(tm::rollback).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(tm::setRollbackOnly).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void commitOfRollbackOnlyTransactionRollsBackAndThrowsRollbackException() throws Exception {
        ScriptedXAResource db = new ScriptedXAResource("db1");
        tm.begin();
        tm.getTransaction().enlistResource(db);
        tm.setRollbackOnly();
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_MARKED_ROLLBACK);
        assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class).hasMessageContaining("rollback-only");
        assertThat(db.rolledBack()).hasSize(1);
        assertThat(db.committed()).isEmpty();
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
    }

    @Test
    void rollbackEndsWithFailAndRollsBackEveryBranch() throws Exception {
        ScriptedXAResource a = new ScriptedXAResource("a");
        ScriptedXAResource b = new ScriptedXAResource("b");
        tm.begin();
        tm.getTransaction().enlistResource(a);
        tm.getTransaction().enlistResource(b);
        tm.rollback();
        assertThat(a.ops()).containsExactly(Op.START, Op.END, Op.ROLLBACK);
        assertThat(a.calls().get(1).flags()).isEqualTo(XAResource.TMFAIL);
        assertThat(b.rolledBack()).hasSize(1);
        assertThat(log.commits()).isEmpty();
    }

    @Test
    void setTransactionTimeoutRejectsNegativeValues() {
        assertThatThrownBy(() -> tm.setTransactionTimeout(-1)).isInstanceOf(SystemException.class)
                .hasMessageContaining("-1");
    }

    @Test
    void suspendDissociatesWithoutEndingBranchesAndResumeReassociates() throws Exception {
        ScriptedXAResource db = new ScriptedXAResource("db1");
        tm.begin();
        tm.getTransaction().enlistResource(db);
        Transaction suspended = tm.suspend();
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
        assertThat(db.ops()).containsExactly(Op.START); // no end(TMSUSPEND)
        tm.begin(); // the thread is free for another transaction
        tm.commit();
        tm.resume(suspended);
        assertThat(tm.getTransaction()).isSameAs(suspended);
        tm.commit();
        assertThat(db.committed()).hasSize(1);
    }

    @Test
    void resumeOfFinishedOrForeignTransactionIsInvalid() throws Exception {
        tm.begin();
        Transaction tx = tm.suspend();
        tx.commit();
        assertThatThrownBy(() -> tm.resume(tx)).isInstanceOf(InvalidTransactionException.class)
                .hasMessageContaining("completed");
        try (QuorumTransactionManager other = TmFixture.manager(new InMemoryCommitLog())) {
            other.begin();
            Transaction foreign = other.suspend();
            assertThatThrownBy(() -> tm.resume(foreign)).isInstanceOf(InvalidTransactionException.class);
            foreign.rollback();
        }
    }

    @Test
    void resumeWhileAssociatedThrowsIllegalState() throws Exception {
        tm.begin();
        Transaction first = tm.suspend();
        tm.begin();
        assertThatThrownBy(() -> tm.resume(first)).isInstanceOf(IllegalStateException.class);
        tm.rollback();
        first.rollback();
    }

    @Test
    void transactionMayBeCommittedFromAnotherThread() throws Exception {
        ScriptedXAResource db = new ScriptedXAResource("db1");
        tm.begin();
        tm.getTransaction().enlistResource(db);
        Transaction tx = tm.suspend();
        CompletableFuture.runAsync(() -> {
            try {
                tx.commit();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).get(10, TimeUnit.SECONDS);
        assertThat(tx.getStatus()).isEqualTo(Status.STATUS_COMMITTED);
        assertThat(db.committed()).hasSize(1);
    }

    @Test
    void enlistingTheSameResourceTwiceIsANoOp() throws Exception {
        ScriptedXAResource db = new ScriptedXAResource("db1");
        tm.begin();
        assertThat(tm.getTransaction().enlistResource(db)).isTrue();
        assertThat(tm.getTransaction().enlistResource(db)).isTrue();
        tm.commit();
        assertThat(db.count(Op.START)).isEqualTo(1);
        assertThat(db.ops()).containsExactly(Op.START, Op.END, Op.COMMIT);
    }

    @Test
    void resourceReportingSameRmJoinsTheExistingBranch() throws Exception {
        ScriptedXAResource first = new ScriptedXAResource("db1");
        ScriptedXAResource second = new ScriptedXAResource("db1");
        first.sameRmAs(second);
        tm.begin();
        tm.getTransaction().enlistResource(first);
        tm.getTransaction().enlistResource(second);
        tm.commit();
        assertThat(second.calls().get(0).flags()).isEqualTo(XAResource.TMJOIN);
        assertThat(second.calls().get(0).xid()).isEqualTo(first.firstXid());
        assertThat(second.ops()).containsExactly(Op.START, Op.END); // joined: ended, not committed separately
        assertThat(first.calls().get(2).flags()).isEqualTo(XAResource.TMONEPHASE); // one branch: one phase
        assertThat(log.commits()).isEmpty();
    }

    @Test
    void enlistOnRollbackOnlyTransactionThrowsRollbackException() throws Exception {
        tm.begin();
        tm.setRollbackOnly();
        assertThatThrownBy(() -> tm.getTransaction().enlistResource(new ScriptedXAResource("db1")))
                .isInstanceOf(RollbackException.class);
        tm.rollback();
    }

    @Test
    void enlistOnCompletedTransactionThrowsIllegalState() throws Exception {
        tm.begin();
        Transaction tx = tm.getTransaction();
        tm.commit();
        assertThatThrownBy(() -> tx.enlistResource(new ScriptedXAResource("db1")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("committed");
    }

    @Test
    void delistWithSuccessEndsTheBranchAndReenlistJoinsIt() throws Exception {
        ScriptedXAResource db = new ScriptedXAResource("db1");
        tm.begin();
        Transaction tx = tm.getTransaction();
        tx.enlistResource(db);
        assertThat(tx.delistResource(db, XAResource.TMSUCCESS)).isTrue();
        tx.enlistResource(db);
        tm.commit();
        assertThat(db.ops()).containsExactly(Op.START, Op.END, Op.START, Op.END, Op.COMMIT);
        assertThat(db.calls().get(2).flags()).isEqualTo(XAResource.TMJOIN);
        assertThat(db.committed()).hasSize(1);
    }

    @Test
    void delistWithSuspendResumesOnNextEnlist() throws Exception {
        ScriptedXAResource db = new ScriptedXAResource("db1");
        tm.begin();
        Transaction tx = tm.getTransaction();
        tx.enlistResource(db);
        tx.delistResource(db, XAResource.TMSUSPEND);
        tx.enlistResource(db);
        tm.commit();
        assertThat(db.calls().get(1).flags()).isEqualTo(XAResource.TMSUSPEND);
        assertThat(db.calls().get(2).flags()).isEqualTo(XAResource.TMRESUME);
        assertThat(db.committed()).hasSize(1);
    }

    @Test
    void delistWithFailMarksRollbackOnly() throws Exception {
        ScriptedXAResource db = new ScriptedXAResource("db1");
        tm.begin();
        tm.getTransaction().enlistResource(db);
        tm.getTransaction().delistResource(db, XAResource.TMFAIL);
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_MARKED_ROLLBACK);
        assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class);
        assertThat(db.rolledBack()).hasSize(1);
    }

    @Test
    void beforeCompletionRunsBeforePrepareAndAfterCompletionGetsCommitted() throws Exception {
        List<String> journal = RecordingSynchronization.journal();
        ScriptedXAResource a = new ScriptedXAResource("a");
        ScriptedXAResource b = new ScriptedXAResource("b");
        tm.begin();
        tm.getTransaction().enlistResource(a);
        tm.getTransaction().enlistResource(b);
        tm.getTransaction().registerSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
                journal.add("before:prepares=" + a.count(Op.PREPARE));
            }

            @Override
            public void afterCompletion(int status) {
                journal.add("after(" + status + "):commits=" + a.count(Op.COMMIT));
            }
        });
        tm.commit();
        assertThat(journal).containsExactly("before:prepares=0", "after(" + Status.STATUS_COMMITTED + "):commits=1");
    }

    @Test
    void beforeCompletionFailureRollsBackAndCommitThrowsRollbackExceptionWithThatCause() throws Exception {
        List<String> journal = RecordingSynchronization.journal();
        IllegalStateException boom = new IllegalStateException("flush failed");
        ScriptedXAResource db = new ScriptedXAResource("db1");
        tm.begin();
        tm.getTransaction().enlistResource(db);
        tm.getTransaction().registerSynchronization(new RecordingSynchronization("s1", journal, boom));
        tm.getTransaction().registerSynchronization(new RecordingSynchronization("s2", journal));
        assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class).hasCause(boom);
        assertThat(db.rolledBack()).hasSize(1);
        assertThat(db.committed()).isEmpty();
        assertThat(journal).containsExactly("s1.before",
                "s1.after(" + Status.STATUS_ROLLEDBACK + ")", "s2.after(" + Status.STATUS_ROLLEDBACK + ")");
    }

    @Test
    void afterCompletionGetsRolledBackOnRollbackAndItsFailureIsNotPropagated() throws Exception {
        List<String> journal = RecordingSynchronization.journal();
        tm.begin();
        tm.getTransaction().registerSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
            }

            @Override
            public void afterCompletion(int status) {
                throw new IllegalStateException("afterCompletion failure");
            }
        });
        tm.getTransaction().registerSynchronization(new RecordingSynchronization("s", journal));
        tm.rollback();
        assertThat(journal).containsExactly("s.after(" + Status.STATUS_ROLLEDBACK + ")");
    }

    @Test
    void synchronizationCannotBeRegisteredOnRollbackOnlyTransaction() throws Exception {
        tm.begin();
        tm.setRollbackOnly();
        assertThatThrownBy(() -> tm.getTransaction().registerSynchronization(
                new RecordingSynchronization("s", RecordingSynchronization.journal())))
                .isInstanceOf(RollbackException.class);
        tm.rollback();
    }

    @Test
    void interposedSynchronizationsRunBeforeCompletionLastAndAfterCompletionFirst() throws Exception {
        List<String> journal = RecordingSynchronization.journal();
        TransactionSynchronizationRegistry tsr = tm.getTransactionSynchronizationRegistry();
        tm.begin();
        tsr.registerInterposedSynchronization(new RecordingSynchronization("interposed", journal));
        tm.getTransaction().registerSynchronization(new RecordingSynchronization("regular", journal));
        tm.commit();
        int committed = Status.STATUS_COMMITTED;
        assertThat(journal).containsExactly("regular.before", "interposed.before",
                "interposed.after(" + committed + ")", "regular.after(" + committed + ")");
    }

    @Test
    void synchronizationRegisteredDuringBeforeCompletionAlsoRuns() throws Exception {
        List<String> journal = RecordingSynchronization.journal();
        tm.begin();
        Transaction tx = tm.getTransaction();
        tx.registerSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
                try {
                    tx.registerSynchronization(new RecordingSynchronization("late", journal));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void afterCompletion(int status) {
            }
        });
        tm.commit();
        assertThat(journal).containsExactly("late.before", "late.after(" + Status.STATUS_COMMITTED + ")");
    }

    @Test
    void registryKeepsResourcesPerTransactionAndReportsStatus() throws Exception {
        TransactionSynchronizationRegistry tsr = tm.getTransactionSynchronizationRegistry();
        assertThat(tsr.getTransactionKey()).isNull();
        assertThat(tsr.getTransactionStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
        assertThatThrownBy(() -> tsr.putResource("k", "v")).isInstanceOf(IllegalStateException.class);
        tm.begin();
        Object key = tsr.getTransactionKey();
        tsr.putResource("k", "v1");
        assertThat(tsr.getResource("k")).isEqualTo("v1");
        assertThat(tsr.getRollbackOnly()).isFalse();
        tsr.setRollbackOnly();
        assertThat(tsr.getRollbackOnly()).isTrue();
        assertThat(tsr.getTransactionStatus()).isEqualTo(Status.STATUS_MARKED_ROLLBACK);
        tm.rollback();
        tm.begin();
        assertThat(tsr.getTransactionKey()).isNotEqualTo(key);
        assertThat(tsr.getResource("k")).isNull();
        tm.rollback();
    }

    @Test
    void statusDuringPhaseTwoIsCommittingAndAfterwardsCommitted() throws Exception {
        ScriptedXAResource a = new ScriptedXAResource("a");
        List<Integer> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        ScriptedXAResource b = new ScriptedXAResource("b") {
            @Override
            public synchronized void commit(javax.transaction.xa.Xid xid, boolean onePhase)
                    throws javax.transaction.xa.XAException {
                seen.add(tm.getStatus());
                super.commit(xid, onePhase);
            }
        };
        tm.begin();
        Transaction tx = tm.getTransaction();
        tx.enlistResource(a);
        tx.enlistResource(b);
        tm.commit();
        assertThat(seen).containsExactly(Status.STATUS_COMMITTING);
        assertThat(tx.getStatus()).isEqualTo(Status.STATUS_COMMITTED);
    }
}
