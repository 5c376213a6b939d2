package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.RecordingSynchronization;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.Transaction;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TimeoutTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);

    private final InMemoryCommitLog log = new InMemoryCommitLog();
    private final QuorumTransactionManager tm = QuorumTransactionManager.builder()
            .nodeId("timeouts")
            .commitLog(log)
            .defaultTimeout(Duration.ofSeconds(1)) // long enough for the set-up on a loaded machine
            .reaperInterval(Duration.ofMillis(10))
            .build();

    @AfterEach
    void close() {
        tm.close();
    }

    @Test
    void reaperRollsBackAnOverdueTransactionAndCommitSaysItTimedOut() throws Exception {
        ScriptedXAResource a = new ScriptedXAResource("a");
        ScriptedXAResource b = new ScriptedXAResource("b");
        List<String> journal = RecordingSynchronization.journal();
        tm.begin();
        Transaction tx = tm.getTransaction();
        tx.enlistResource(a);
        tx.enlistResource(b);
        tx.registerSynchronization(new RecordingSynchronization("s", journal));
        Poll.until("reaper rolled back both branches", WITHIN,
                () -> a.rolledBack().size() == 1 && b.rolledBack().size() == 1);
        Poll.until("afterCompletion ran", WITHIN, () -> journal.size() == 1);
        assertThat(journal).containsExactly("s.after(" + Status.STATUS_ROLLEDBACK + ")");
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_ROLLEDBACK); // still associated until commit/rollback
        assertThatThrownBy(() -> tx.enlistResource(new ScriptedXAResource("c")))
                .isInstanceOf(RollbackException.class).hasMessageContaining("timed out");
        assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class)
                .hasMessageContaining("timed out after 1 second");
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
        assertThat(a.ops()).containsExactly(Op.START, Op.END, Op.ROLLBACK);
        assertThat(log.commits()).isEmpty();
        assertThat(tm.activeTransactions()).isZero();
    }

    @Test
    void rollbackAfterTheReaperRolledBackSimplyDissociates() throws Exception {
        ScriptedXAResource a = new ScriptedXAResource("a");
        tm.begin();
        tm.getTransaction().enlistResource(a);
        Poll.until("reaper rolled back", WITHIN, () -> a.rolledBack().size() == 1);
        tm.rollback();
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
        tm.begin(); // the thread is usable again
        tm.rollback();
    }

    @Test
    void perThreadTimeoutOverridesTheDefaultAndZeroRestoresIt() throws Exception {
        tm.setTransactionTimeout(60);
        ScriptedXAResource a = new ScriptedXAResource("a");
        tm.begin();
        tm.getTransaction().enlistResource(a);
        Transaction longLived = tm.suspend();
        tm.setTransactionTimeout(0);
        ScriptedXAResource b = new ScriptedXAResource("b");
        tm.begin();
        tm.getTransaction().enlistResource(b);
        Poll.until("short default timeout rolled back the second transaction", WITHIN,
                () -> b.rolledBack().size() == 1);
        tm.rollback();
        assertThat(longLived.getStatus()).isEqualTo(Status.STATUS_ACTIVE); // 60 s: still running
        tm.resume(longLived);
        tm.commit();
        assertThat(a.committed()).hasSize(1);
    }

    @Test
    void reaperDoesNotInterruptACommitThatHasStartedButMarksItRollbackOnlyBeforePrepare() throws Exception {
        ScriptedXAResource a = new ScriptedXAResource("a");
        ScriptedXAResource b = new ScriptedXAResource("b");
        CountDownLatch inBeforeCompletion = new CountDownLatch(1);
        // The commit must start before the timeout: 5 s of set-up time, not the default's 1 s,
        // which a loaded machine has been seen to use up before commit() was called.
        tm.setTransactionTimeout(5);
        tm.begin();
        tm.setTransactionTimeout(0);
        Transaction tx = tm.getTransaction();
        tx.enlistResource(a);
        tx.enlistResource(b);
        tx.registerSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
                inBeforeCompletion.countDown();
                // Stay here until the reaper has seen the overdue transaction.
                Poll.until("transaction marked rollback-only by the reaper", WITHIN,
                        () -> tm.getTransactionSynchronizationRegistry().getTransactionStatus()
                                == Status.STATUS_MARKED_ROLLBACK);
            }

            @Override
            public void afterCompletion(int status) {
            }
        });
        assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class).hasMessageContaining("timed out");
        assertThat(inBeforeCompletion.await(0, TimeUnit.SECONDS)).isTrue();
        assertThat(a.count(Op.PREPARE)).isZero();
        assertThat(a.rolledBack()).hasSize(1);
        assertThat(b.rolledBack()).hasSize(1);
        assertThat(a.count(Op.ROLLBACK)).isEqualTo(1); // rolled back once, by the committer only
    }
}
