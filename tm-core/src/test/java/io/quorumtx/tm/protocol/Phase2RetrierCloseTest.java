package io.quorumtx.tm.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import jakarta.transaction.Transaction;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.transaction.xa.XAException;
import org.junit.jupiter.api.Test;

/**
 * Closing the manager while a phase-2 retry is talking to a database must not interrupt it: H2
 * closes its database file when a thread inside its file I/O is interrupted (the application's
 * database), which is how the lock watchdog and the outbox relay broke H2 databases at close.
 */
class Phase2RetrierCloseTest {

    @Test
    void closingTheManagerLetsARunningRetryFinishUninterrupted() throws Exception {
        CountDownLatch retrying = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicInteger commits = new AtomicInteger();
        ScriptedXAResource a = new ScriptedXAResource("db-a");
        ScriptedXAResource b = new ScriptedXAResource("db-b").fail(Op.COMMIT, XAException.XAER_RMFAIL, 1)
                .onCall(Op.COMMIT, () -> {
                    if (commits.incrementAndGet() < 2) {
                        return; // the committing thread's phase-2 commit: fails as scripted
                    }
                    retrying.countDown(); // the retrier's first attempt: stands for a database call in progress
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        interrupted.set(true);
                    }
                });
        QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1")
                .commitLog(new InMemoryCommitLog()).phase2Retry(Duration.ofMillis(2), Duration.ofMillis(10), 5)
                .recoveryInterval(Duration.ZERO).build();
        Thread closer = new Thread(tm::close, "closer");
        try {
            tm.begin();
            Transaction tx = tm.getTransaction();
            tx.enlistResource(a);
            tx.enlistResource(b);
            tm.commit();
            assertThat(retrying.await(30, TimeUnit.SECONDS)).as("the retrier is committing db-b's branch").isTrue();

            closer.start();
            closer.join(30_000);
        } finally {
            release.countDown();
            if (closer.getState() == Thread.State.NEW) {
                tm.close(); // the test failed before it could close the manager its own way
            }
        }
        assertThat(closer.isAlive()).as("close() returned").isFalse();
        assertThat(interrupted).as("the running retry was interrupted by close()").isFalse();
    }
}
