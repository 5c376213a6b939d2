package io.quorumtx.tm;

import java.nio.charset.StandardCharsets;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.RecordingSynchronization;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import jakarta.transaction.NotSupportedException;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.SystemException;
import jakarta.transaction.Transaction;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JtaEdgeCasesTest {
    private final InMemoryCommitLog log = new InMemoryCommitLog();
    private final QuorumTransactionManager tm = TmFixture.manager(log);

    @AfterEach
    void close() {
        tm.close();
    }

    @Test
    void setRollbackOnlyFromBeforeCompletionRollsBackAndCommitThrowsRollbackException() throws Exception {
        ScriptedXAResource db = new ScriptedXAResource("db1");
        List<String> journal = RecordingSynchronization.journal();
        tm.begin();
        tm.getTransaction().enlistResource(db);
        tm.getTransaction().registerSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
                tm.getTransactionSynchronizationRegistry().setRollbackOnly();
            }

            @Override
            public void afterCompletion(int status) {
                journal.add("after(" + status + ")");
            }
        });
        assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class);
        assertThat(db.rolledBack()).hasSize(1);
        assertThat(journal).containsExactly("after(" + Status.STATUS_ROLLEDBACK + ")");
    }

    @Test
    void resourceEnlistedFromBeforeCompletionTakesPartInTheCommit() throws Exception {
        ScriptedXAResource a = new ScriptedXAResource("a");
        ScriptedXAResource flushedLate = new ScriptedXAResource("b");
        tm.begin();
        Transaction tx = tm.getTransaction();
        tx.enlistResource(a);
        tx.registerSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
                try {
                    tx.enlistResource(flushedLate); // an ORM flushing into a second database
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void afterCompletion(int status) {
            }
        });
        tm.commit();
        assertThat(flushedLate.ops()).containsExactly(Op.START, Op.END, Op.PREPARE, Op.COMMIT);
        assertThat(a.committed()).hasSize(1);
        assertThat(log.commits()).hasSize(1);
    }

    @Test
    void afterCompletionRunsWhileTheThreadIsStillAssociatedAndAfterPhaseTwo() throws Exception {
        ScriptedXAResource a = new ScriptedXAResource("a");
        ScriptedXAResource b = new ScriptedXAResource("b");
        List<String> journal = RecordingSynchronization.journal();
        tm.begin();
        tm.getTransaction().enlistResource(a);
        tm.getTransaction().enlistResource(b);
        tm.getTransactionSynchronizationRegistry().putResource("key", "value");
        tm.getTransactionSynchronizationRegistry().registerInterposedSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
            }

            @Override
            public void afterCompletion(int status) {
                journal.add("status=" + tm.getStatus() + " resource="
                        + tm.getTransactionSynchronizationRegistry().getResource("key")
                        + " committedBranches=" + (a.committed().size() + b.committed().size()));
            }
        });
        tm.commit();
        assertThat(journal).containsExactly("status=" + Status.STATUS_COMMITTED + " resource=value committedBranches=2");
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
    }

    @Test
    void beginAfterCommittingThroughTheTransactionObjectOnTheSameThreadStartsAFreshTransaction() throws Exception {
        tm.begin();
        Transaction first = tm.getTransaction();
        first.commit();
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_COMMITTED); // still associated, JTA leaves it so
        tm.begin();
        assertThat(tm.getTransaction()).isNotSameAs(first);
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_ACTIVE);
        tm.rollback();
    }

    @Test
    void registryCallsWithoutTransactionThrowIllegalState() {
        var tsr = tm.getTransactionSynchronizationRegistry();
        assertThatThrownBy(() -> tsr.registerInterposedSynchronization(
                new RecordingSynchronization("s", RecordingSynchronization.journal())))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("begin()");
        assertThatThrownBy(tsr::getRollbackOnly).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(tsr::setRollbackOnly).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tsr.getResource("k")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void rollbackAnswerAtStartMarksRollbackOnlyAndThrowsRollbackException() throws Exception {
        ScriptedXAResource db = new ScriptedXAResource("db1").fail(Op.START, XAException.XA_RBDEADLOCK, 1);
        tm.begin();
        assertThatThrownBy(() -> tm.getTransaction().enlistResource(db)).isInstanceOf(RollbackException.class)
                .hasMessageContaining("XA_RBDEADLOCK");
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_MARKED_ROLLBACK);
        tm.rollback();
    }

    @Test
    void startErrorThrowsSystemExceptionAndLeavesNoBranchBehind() throws Exception {
        ScriptedXAResource broken = new ScriptedXAResource("db1").fail(Op.START, XAException.XAER_RMFAIL, 1);
        ScriptedXAResource ok = new ScriptedXAResource("db2");
        tm.begin();
        assertThatThrownBy(() -> tm.getTransaction().enlistResource(broken)).isInstanceOf(SystemException.class)
                .hasMessageContaining("db1").hasMessageContaining("XAER_RMFAIL");
        tm.getTransaction().enlistResource(ok);
        tm.commit();
        assertThat(broken.ops()).containsExactly(Op.START); // never ended, prepared or committed
        assertThat(ok.calls().get(2).flags()).isEqualTo(XAResource.TMONEPHASE); // the only branch
    }

    @Test
    void joinRefusedDespiteSameRmFallsBackToASeparateBranch() throws Exception {
        ScriptedXAResource first = new ScriptedXAResource("db1");
        ScriptedXAResource second = new ScriptedXAResource("db1").fail(Op.START, XAException.XAER_INVAL, 1);
        first.sameRmAs(second);
        tm.begin();
        tm.getTransaction().enlistResource(first);
        tm.getTransaction().enlistResource(second);
        tm.commit();
        assertThat(second.calls().get(0).flags()).isEqualTo(XAResource.TMJOIN);
        assertThat(second.calls().get(1).flags()).isEqualTo(XAResource.TMNOFLAGS);
        assertThat(second.calls().get(1).xid().getBranchQualifier()).isEqualTo("db1~2".getBytes(StandardCharsets.US_ASCII));
        assertThat(first.committed()).hasSize(1);
        assertThat(second.committed()).hasSize(1);
        assertThat(log.commits()).hasSize(1);
    }

    @Test
    void invalidDelistFlagAndUnknownResourceAreRejected() throws Exception {
        tm.begin();
        ScriptedXAResource db = new ScriptedXAResource("db1");
        tm.getTransaction().enlistResource(db);
        assertThatThrownBy(() -> tm.getTransaction().delistResource(db, XAResource.TMJOIN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tm.getTransaction().delistResource(new ScriptedXAResource("x"), XAResource.TMSUCCESS))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not enlisted");
        tm.rollback();
    }

    @Test
    void invalidResourceNameIsRejectedWithTheRule() throws Exception {
        tm.begin();
        assertThatThrownBy(() -> tm.getTransaction().enlistResource(new ScriptedXAResource("bad name")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[A-Za-z0-9_.-]");
        tm.rollback();
    }

    @Test
    @SuppressWarnings("UnsynchronizedOverridesSynchronized") // the override blocks on a latch; holding the resource's monitor there would deadlock the test
    void commitWaitsForAnEnlistmentInFlightOnAnotherThreadAndCommitsThatBranchToo() throws Exception {
        ScriptedXAResource early = new ScriptedXAResource("early");
        CountDownLatch startEntered = new CountDownLatch(1);
        CountDownLatch releaseStart = new CountDownLatch(1);
        ScriptedXAResource late = new ScriptedXAResource("late") {
            @Override
            public void start(Xid xid, int flags) throws XAException {
                super.start(xid, flags);
                startEntered.countDown();
                try {
                    releaseStart.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        tm.begin();
        Transaction tx = tm.getTransaction();
        tx.enlistResource(early);
        CompletableFuture<Void> enlisting = CompletableFuture.runAsync(() -> {
            try {
                tx.enlistResource(late);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(startEntered.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> committing = CompletableFuture.runAsync(() -> {
            try {
                tx.commit();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(early.count(Op.PREPARE)).isZero(); // nothing is prepared while a start is in flight
        releaseStart.countDown();
        enlisting.get(10, TimeUnit.SECONDS);
        committing.get(10, TimeUnit.SECONDS);
        assertThat(late.ops()).containsExactly(Op.START, Op.END, Op.PREPARE, Op.COMMIT);
        assertThat(early.committed()).hasSize(1);
        assertThat(log.commits()).singleElement().satisfies(r -> assertThat(r.branches()).hasSize(2));
        tm.suspend();
    }

    @Test
    void nestedBeginIsRefusedEvenWhenTheCurrentTransactionTimedOut() throws Exception {
        try (QuorumTransactionManager fast = QuorumTransactionManager.builder().nodeId("fast")
                .commitLog(new InMemoryCommitLog()).defaultTimeout(Duration.ofMillis(20))
                .reaperInterval(Duration.ofMillis(5)).build()) {
            fast.begin();
            Poll.until("timed out", Duration.ofSeconds(10), () -> fast.getStatus() == Status.STATUS_ROLLEDBACK);
            assertThatThrownBy(fast::begin).isInstanceOf(NotSupportedException.class);
            fast.rollback();
        }
    }
}
