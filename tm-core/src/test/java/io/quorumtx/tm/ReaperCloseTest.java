package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.internal.TransactionEngine;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Closing the manager while the reaper rolls back a timed-out transaction must not interrupt it:
 * the rollback is inside a database's XA calls, and H2 closes its database file when a thread in
 * its file I/O is interrupted (the application's database). close() waits for the rollback.
 */
class ReaperCloseTest {

    @Test
    void closingTheManagerLetsTheReapersRollbackFinishUninterrupted() throws Exception {
        CountDownLatch rollingBack = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean rollbackReturned = new AtomicBoolean();
        ScriptedXAResource db = new ScriptedXAResource("db-a").onCall(Op.ROLLBACK, () -> {
            rollingBack.countDown(); // the reaper's rollback: stands for a database call in progress
            try {
                if (!release.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
            rollbackReturned.set(true);
        });
        QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1")
                .commitLog(new InMemoryCommitLog()).recoveryInterval(Duration.ZERO)
                .defaultTimeout(Duration.ofMillis(50)).reaperInterval(Duration.ofMillis(10)).build();
        AtomicBoolean rollbackReturnedBeforeClose = new AtomicBoolean();
        Thread closer = new Thread(() -> {
            tm.close();
            rollbackReturnedBeforeClose.set(rollbackReturned.get());
        }, "closer");
        try {
            tm.begin();
            tm.getTransaction().enlistResource(db);
            assertThat(rollingBack.await(30, TimeUnit.SECONDS)).as("the reaper is rolling back the timed-out transaction")
                    .isTrue();

            closer.start();
            // Either close() interrupted the reaper (the defect) or it waits for it in the engine's close().
            Poll.until("close() interrupted the reaper or waits for it", Duration.ofSeconds(30),
                    () -> interrupted.get() || closer.getState() == Thread.State.TIMED_WAITING
                            && Arrays.stream(closer.getStackTrace()).anyMatch(f -> f.getClassName()
                                    .equals(TransactionEngine.class.getName()) && f.getMethodName().equals("close")));
            release.countDown();
            closer.join(30_000);
        } finally {
            release.countDown();
            if (closer.getState() == Thread.State.NEW) {
                tm.close(); // the test failed before it could close the manager its own way
            }
        }
        assertThat(closer.isAlive()).as("close() returned").isFalse();
        assertThat(interrupted).as("the reaper's rollback was interrupted by close()").isFalse();
        assertThat(rollbackReturnedBeforeClose).as("close() waited for the reaper's rollback").isTrue();
    }
}
