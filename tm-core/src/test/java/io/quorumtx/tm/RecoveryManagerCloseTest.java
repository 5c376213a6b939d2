package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.transaction.xa.XAException;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.Test;

/**
 * Closing the manager while a recovery pass is talking to a database must not interrupt it: H2
 * closes its database file when a thread inside its file I/O is interrupted (the application's
 * database), which is how the README's demo logged ClosedByInterruptException on its banks' H2
 * files at close. close() still waits for the pass, so the commit log is not closed under it.
 */
class RecoveryManagerCloseTest {

    @Test
    @SuppressWarnings("UnsynchronizedOverridesSynchronized") // the override blocks on a latch; holding the resource's monitor there would deadlock the test
    void closingTheManagerLetsARunningPassFinishUninterruptedAndWaitsForIt() throws Exception {
        CountDownLatch scanning = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean passReturned = new AtomicBoolean();
        AtomicInteger recovers = new AtomicInteger();
        ScriptedXAResource db = new ScriptedXAResource("db-a") {
            @Override
            public Xid[] recover(int flag) throws XAException {
                if ((flag & TMSTARTRSCAN) != 0 && recovers.incrementAndGet() == 1) {
                    scanning.countDown(); // the pass queued on registration: stands for a database call in progress
                    try {
                        if (!release.await(30, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("never released");
                        }
                    } catch (InterruptedException e) {
                        interrupted.set(true);
                    }
                    passReturned.set(true);
                }
                return super.recover(flag);
            }
        };
        QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1")
                .commitLog(new InMemoryCommitLog()).recoveryInterval(Duration.ZERO).build();
        AtomicBoolean passReturnedBeforeClose = new AtomicBoolean();
        Thread closer = new Thread(() -> {
            tm.close();
            passReturnedBeforeClose.set(passReturned.get());
        }, "closer");
        try {
            tm.registerResource(new ScriptedRecoverableResource("db-a", db));
            assertThat(scanning.await(30, TimeUnit.SECONDS)).as("the recovery pass is scanning db-a").isTrue();

            closer.start();
            // Either close() interrupted the pass (the defect) or it waits for it (timed wait).
            Poll.until("close() interrupted the pass or waits for it", Duration.ofSeconds(30),
                    () -> interrupted.get() || closer.getState() == Thread.State.TIMED_WAITING);
            release.countDown();
            closer.join(30_000);
        } finally {
            release.countDown();
            if (closer.getState() == Thread.State.NEW) {
                tm.close(); // the test failed before it could close the manager its own way
            }
        }
        assertThat(closer.isAlive()).as("close() returned").isFalse();
        assertThat(interrupted).as("the running recovery pass was interrupted by close()").isFalse();
        assertThat(passReturnedBeforeClose).as("close() waited for the running pass").isTrue();
    }
}
