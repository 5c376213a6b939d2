package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.xid.QuorumXid;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many threads completing transactions at once: every outcome all-or-nothing and as reported. */
class ConcurrentCommitTest {
    private static final int THREADS = 8;
    private static final int PER_THREAD = 150;

    /** One finished transaction: what the application was told, and its two resources. */
    private record Outcome(boolean committed, ScriptedXAResource a, ScriptedXAResource b) {
    }

    @TempDir
    Path dir;

    @Test
    void manyThreadsCommittingAndRollingBackOverTheLocalLogGetConsistentOutcomes() throws Exception {
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("busy").logDirectory(dir)
                .build()) {
            ConcurrentLinkedQueue<Outcome> outcomes = run(tm, i -> i % 7 == 3, false);
            long committed = verify(outcomes);
            assertThat(committed).isEqualTo((long) THREADS * PER_THREAD - (long) THREADS * countMatching(i -> i % 7 == 3));
            assertThat(tm.activeTransactions()).isZero();
        }
    }

    @Test
    void commitsRacingTheTimeoutReaperAreNeverHalfDone() throws Exception {
        InMemoryCommitLog log = new InMemoryCommitLog();
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("racy").commitLog(log)
                .defaultTimeout(Duration.ofMillis(2)).reaperInterval(Duration.ofMillis(1)).build()) {
            ConcurrentLinkedQueue<Outcome> outcomes = run(tm, i -> false, true);
            long committed = verify(outcomes);
            // Every committed two-phase transaction was logged and finished; nothing else was.
            Set<String> committedGtrids = new HashSet<>();
            for (Outcome o : outcomes) {
                if (o.committed()) {
                    committedGtrids.add(((QuorumXid) o.a().firstXid()).gtrid());
                }
            }
            assertThat(log.commits()).hasSize((int) committed);
            assertThat(log.ends()).isEqualTo(committedGtrids);
            assertThat(outcomes.stream().filter(o -> !o.committed()).count())
                    .as("every 10th transaction waits for the reaper").isGreaterThanOrEqualTo(THREADS * PER_THREAD / 10);
            Poll.until("no live transactions", Duration.ofSeconds(10), () -> tm.activeTransactions() == 0);
        }
    }

    @Test
    void rollbacksRacingTheTimeoutReaperRollEachBranchBackExactlyOnce() throws Exception {
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("racy-rb")
                .commitLog(new InMemoryCommitLog()).defaultTimeout(Duration.ofMillis(1))
                .reaperInterval(Duration.ofMillis(1)).build()) {
            ConcurrentLinkedQueue<ScriptedXAResource> resources = new ConcurrentLinkedQueue<>();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < PER_THREAD; i++) {
                            tm.begin();
                            try {
                                for (String name : List.of("db-a", "db-b")) {
                                    ScriptedXAResource r = new ScriptedXAResource(name);
                                    resources.add(r);
                                    tm.getTransaction().enlistResource(r);
                                }
                            } catch (RollbackException timedOut) {
                                // the reaper got there first; rollback below still applies
                            }
                            tm.rollback();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            for (ScriptedXAResource r : resources) {
                if (r.count(ScriptedXAResource.Op.START) == 1) {
                    assertThat(r.count(ScriptedXAResource.Op.ROLLBACK)).as("%s", r.calls()).isEqualTo(1);
                    assertThat(r.rolledBack()).hasSize(1);
                }
                assertThat(r.committed()).isEmpty();
            }
            assertThat(tm.activeTransactions()).isZero();
        }
    }

    private interface IntPredicate {
        boolean test(int i);
    }

    private static int countMatching(IntPredicate p) {
        int n = 0;
        for (int i = 0; i < PER_THREAD; i++) {
            if (p.test(i)) {
                n++;
            }
        }
        return n;
    }

    private static ConcurrentLinkedQueue<Outcome> run(QuorumTransactionManager tm, IntPredicate rollbackOnly,
            boolean raceTheReaper) throws Exception {
        ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < PER_THREAD; i++) {
                        ScriptedXAResource a = new ScriptedXAResource("db-a");
                        ScriptedXAResource b = new ScriptedXAResource("db-b");
                        tm.begin();
                        try {
                            tm.getTransaction().enlistResource(a);
                            tm.getTransaction().enlistResource(b);
                            if (raceTheReaper && i % 10 == 0) {
                                Poll.until("reaper acted", Duration.ofSeconds(10),
                                        () -> tm.getStatus() != Status.STATUS_ACTIVE);
                            }
                            if (rollbackOnly.test(i)) {
                                tm.setRollbackOnly();
                            }
                        } catch (RollbackException | IllegalStateException timedOutWhileEnlisting) {
                            tm.rollback();
                            outcomes.add(new Outcome(false, a, b));
                            continue;
                        }
                        boolean committed;
                        try {
                            tm.commit();
                            committed = true;
                        } catch (RollbackException e) {
                            committed = false;
                        }
                        outcomes.add(new Outcome(committed, a, b));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(outcomes).hasSize(THREADS * PER_THREAD);
        return outcomes;
    }

    /** Checks all-or-nothing per transaction; returns how many committed. */
    private static long verify(ConcurrentLinkedQueue<Outcome> outcomes) {
        long committed = 0;
        for (Outcome o : outcomes) {
            if (o.committed()) {
                committed++;
                assertThat(o.a().committed()).hasSize(1);
                assertThat(o.b().committed()).hasSize(1);
            } else {
                assertThat(o.a().committed()).isEmpty();
                assertThat(o.b().committed()).isEmpty();
                assertThat(o.a().prepared()).isEmpty(); // nothing left in doubt
                assertThat(o.b().prepared()).isEmpty();
            }
        }
        return committed;
    }
}
