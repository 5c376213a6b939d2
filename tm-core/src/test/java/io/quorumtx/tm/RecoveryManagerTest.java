package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.NodeIdFile;
import io.quorumtx.tm.protocol.HeuristicOutcome;
import io.quorumtx.tm.recovery.RecoveryAction;
import io.quorumtx.tm.recovery.ResolveReport;
import io.quorumtx.tm.recovery.ResolveReport.Outcome;
import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.xid.QuorumXid;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.transaction.xa.XAException;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manager's recovery: who may still decide, the safety interval, the retrier, node ids, configuration. */
class RecoveryManagerTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);

    private final InMemoryCommitLog log = new InMemoryCommitLog();
    private final ScriptedXAResource a = new ScriptedXAResource("db-a");
    private final ScriptedXAResource b = new ScriptedXAResource("db-b");

    private QuorumTransactionManagerBuilder builder() {
        return QuorumTransactionManager.builder().nodeId("n1").commitLog(log).recoveryInterval(Duration.ZERO)
                .phase2Retry(Duration.ofMillis(5), Duration.ofMillis(20));
    }

    private static ResolveReport.StepResult onlyStep(ResolveReport report) {
        assertThat(report.steps()).hasSize(1);
        return report.steps().get(0);
    }

    @Test
    @SuppressWarnings("UnsynchronizedOverridesSynchronized") // the override blocks on a latch; holding the resource's monitor there would deadlock the test
    void aPreparedBranchOfARunningTransactionIsNeverRolledBackEvenWithNoSafetyInterval() throws Exception {
        CountDownLatch inPrepare = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ScriptedXAResource slow = new ScriptedXAResource("db-b") {
            @Override
            public int prepare(Xid xid) throws XAException {
                inPrepare.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.prepare(xid);
            }
        };
        try (QuorumTransactionManager tm = builder().recoverySafetyInterval(Duration.ZERO).build()) {
            tm.registerResource(new ScriptedRecoverableResource("db-a", a));
            CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> {
                try {
                    tm.begin();
                    tm.getTransaction().enlistResource(a);
                    tm.getTransaction().enlistResource(slow);
                    tm.commit();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(inPrepare.await(10, TimeUnit.SECONDS)).isTrue(); // db-a has prepared, db-b is preparing
            ResolveReport report = tm.recover();
            assertThat(onlyStep(report).step().action()).isEqualTo(RecoveryAction.LEAVE);
            assertThat(onlyStep(report).step().reason()).contains("still running");
            assertThat(a.rolledBack()).isEmpty();
            release.countDown();
            commit.get(10, TimeUnit.SECONDS);
            assertThat(a.committed()).hasSize(1);
            assertThat(slow.committed()).hasSize(1);
        }
    }

    @Test
    void aFinishedTransactionOfThisIncarnationWithoutDecisionIsRolledBackOnlyOnceOlderThanTheSafetyInterval()
            throws Exception {
        CrashInjector stopBeforeDecision = (point, gtrid) -> {
            if (point == CrashPoint.AFTER_ALL_PREPARED) {
                throw new IllegalStateException("stopped before the decision");
            }
        };
        try (QuorumTransactionManager tm = builder().crashInjector(stopBeforeDecision)
                .recoverySafetyInterval(Duration.ofHours(1)).build()) {
            tm.registerResource(new ScriptedRecoverableResource("db-a", a));
            tm.begin();
            tm.getTransaction().enlistResource(a);
            tm.getTransaction().enlistResource(b);
            assertThatThrownBy(tm::commit).hasMessageContaining("stopped before the decision");
            ResolveReport report = tm.recover();
            assertThat(onlyStep(report).outcome()).isEqualTo(Outcome.LEFT);
            assertThat(onlyStep(report).step().reason()).contains("younger").contains("safety interval (1h)");
            assertThat(a.prepared()).hasSize(1);
        }
        ScriptedXAResource c = new ScriptedXAResource("db-c");
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1")
                .commitLog(new InMemoryCommitLog()).recoveryInterval(Duration.ZERO).crashInjector(stopBeforeDecision)
                .recoverySafetyInterval(Duration.ZERO).build()) {
            tm.registerResource(new ScriptedRecoverableResource("db-c", c));
            tm.begin();
            tm.getTransaction().enlistResource(c);
            tm.getTransaction().enlistResource(b);
            assertThatThrownBy(tm::commit).hasMessageContaining("stopped before the decision");
            Poll.until("rolled back by a pass", WITHIN, () -> {
                tm.recover();
                return c.prepared().isEmpty();
            });
            assertThat(c.rolledBack()).hasSize(1);
        }
    }

    @Test
    void recoveryLeavesABranchThePhase2RetrierHoldsAndWritesNoEndForIt() throws Exception {
        b.fail(Op.COMMIT, XAException.XAER_RMFAIL, 1_000_000);
        try (QuorumTransactionManager tm = builder().phase2Retry(Duration.ofHours(1), Duration.ofHours(1)).build()) {
            tm.registerResource(new ScriptedRecoverableResource("db-b", b));
            tm.begin();
            tm.getTransaction().enlistResource(a);
            tm.getTransaction().enlistResource(b);
            tm.commit();
            assertThat(tm.pendingPhase2Retries()).isEqualTo(1);
            ResolveReport report = tm.recover();
            assertThat(onlyStep(report).step().action()).isEqualTo(RecoveryAction.LEAVE);
            assertThat(onlyStep(report).step().reason()).contains("retrying");
            assertThat(report.endsWritten()).isEmpty();
            assertThat(b.count(Op.COMMIT)).isEqualTo(1); // only the committing thread's attempt
            assertThat(log.ends()).isEmpty();
        }
    }

    @Test
    void anEarlierIncarnationsLoggedCommitIsFinishedAndItsHeuristicReachesTheManager() {
        String old = QuorumXid.formatGtrid("n1", "oldepoch", 1, System.currentTimeMillis());
        log.logCommit(new CommitRecord(old, List.of(new BranchRecord("db-a", "db-a"), new BranchRecord("db-b", "db-b")),
                System.currentTimeMillis()));
        a.addPrepared(new QuorumXid(old, "db-a"));
        b.addPrepared(new QuorumXid(old, "db-b"));
        b.fail(Op.COMMIT, XAException.XA_HEURRB, 1);
        try (QuorumTransactionManager tm = builder().build()) {
            tm.registerResource(new ScriptedRecoverableResource("db-a", a));
            tm.registerResource(new ScriptedRecoverableResource("db-b", b));
            Poll.until("both branches finished and END written", WITHIN, () -> log.ends().contains(old));
            assertThat(a.committed()).containsExactly(new QuorumXid(old, "db-a"));
            assertThat(tm.heuristicOutcomes()).singleElement().satisfies(h -> {
                assertThat(h.gtrid()).isEqualTo(old);
                assertThat(h.resourceName()).isEqualTo("db-b");
                assertThat(h.kind()).isEqualTo(HeuristicOutcome.Kind.ROLLED_BACK);
            });
        }
    }

    /**
     * A commit whose branches live on two databases registered one after the other: each
     * registration's pass scans only its new database, and the END must still be written once
     * the second branch is finished (the first is known finished by its BRANCH_DONE record).
     * CI once timed out here when the two registrations happened to get separate passes.
     */
    @Test
    void aCommitOverTwoDatabasesRegisteredOneAfterTheOtherIsEnded() throws Exception {
        String old = QuorumXid.formatGtrid("n1", "oldepoch", 2, System.currentTimeMillis());
        log.logCommit(new CommitRecord(old, List.of(new BranchRecord("db-a", "db-a"), new BranchRecord("db-b", "db-b")),
                System.currentTimeMillis()));
        a.addPrepared(new QuorumXid(old, "db-a"));
        b.addPrepared(new QuorumXid(old, "db-b"));
        try (QuorumTransactionManager tm = builder().build()) {
            tm.registerResource(new ScriptedRecoverableResource("db-a", a));
            tm.awaitRecovered("db-a"); // db-a's pass is over before db-b exists
            assertThat(a.committed()).containsExactly(new QuorumXid(old, "db-a"));
            assertThat(log.ends()).doesNotContain(old);
            tm.registerResource(new ScriptedRecoverableResource("db-b", b));
            Poll.until("db-b's pass finishes the commit and writes END", WITHIN, () -> log.ends().contains(old));
            assertThat(b.committed()).containsExactly(new QuorumXid(old, "db-b"));
        }
    }

    @Test
    void otherNodesBranchesAreLeftAndOtherTransactionManagersXidsIgnored() {
        String theirs = QuorumXid.formatGtrid("n2", "epoch", 1, System.currentTimeMillis() - 3_600_000);
        a.addPrepared(new QuorumXid(theirs, "db-a"));
        a.addPrepared(new Xid() {
            @Override
            public int getFormatId() {
                return 4660;
            }

            @Override
            public byte[] getGlobalTransactionId() {
                return "n1.epoch.1.abc".getBytes(StandardCharsets.US_ASCII);
            }

            @Override
            public byte[] getBranchQualifier() {
                return "db-a".getBytes(StandardCharsets.US_ASCII);
            }
        });
        try (QuorumTransactionManager tm = builder().recoverySafetyInterval(Duration.ZERO).build()) {
            tm.registerResource(new ScriptedRecoverableResource("db-a", a));
            ResolveReport report = tm.recover();
            assertThat(onlyStep(report).outcome()).isEqualTo(Outcome.LEFT);
            assertThat(onlyStep(report).step().reason()).startsWith("owned by node n2");
            assertThat(a.prepared()).hasSize(2);
            assertThat(a.count(Op.ROLLBACK) + a.count(Op.COMMIT)).isZero();
        }
    }

    @Test
    void aPassRunsWhenAResourceIsRegistered() {
        String old = QuorumXid.formatGtrid("n1", "oldepoch", 1, System.currentTimeMillis());
        a.addPrepared(new QuorumXid(old, "db-a"));
        try (QuorumTransactionManager tm = builder().build()) {
            tm.registerResource(new ScriptedRecoverableResource("db-a", a));
            Poll.until("the earlier incarnation's undecided branch rolled back without recover()", WITHIN,
                    () -> a.rolledBack().contains(new QuorumXid(old, "db-a")));
        }
    }

    @Test
    void aSecondManagerRunningUnderTheSameNodeIdDoesNotHaveItsUndecidedBranchesRolledBackAtOnce() throws Exception {
        try (QuorumTransactionManager first = builder().build()) {
            long started = System.currentTimeMillis();
            Poll.until("the clock moved past the first manager's start", WITHIN,
                    () -> System.currentTimeMillis() > started);
            CrashInjector stopBeforeDecision = (point, gtrid) -> {
                if (point == CrashPoint.AFTER_ALL_PREPARED) {
                    throw new IllegalStateException("stopped before the decision");
                }
            };
            try (QuorumTransactionManager twin = QuorumTransactionManager.builder().nodeId("n1")
                    .commitLog(new InMemoryCommitLog()).recoveryInterval(Duration.ZERO)
                    .crashInjector(stopBeforeDecision).build()) {
                twin.begin();
                twin.getTransaction().enlistResource(a);
                twin.getTransaction().enlistResource(b);
                assertThatThrownBy(twin::commit).hasMessageContaining("stopped before the decision");
            }
            first.registerResource(new ScriptedRecoverableResource("db-a", a));
            ResolveReport report = first.recover();
            assertThat(onlyStep(report).outcome()).isEqualTo(Outcome.LEFT);
            assertThat(onlyStep(report).step().reason()).contains("younger");
            assertThat(a.prepared()).hasSize(1);
        }
    }

    @Test
    void passesRunPeriodically() {
        try (QuorumTransactionManager tm = builder().recoveryInterval(Duration.ofMillis(20)).build()) {
            tm.registerResource(new ScriptedRecoverableResource("db-a", a));
            tm.recover(); // the registration's pass is over: what follows can only be found by a periodic one
            String old = QuorumXid.formatGtrid("n1", "oldepoch", 1, System.currentTimeMillis() - 3_600_000);
            a.addPrepared(new QuorumXid(old, "db-a"));
            Poll.until("a periodic pass rolled back the branch found after registration", WITHIN,
                    () -> a.rolledBack().contains(new QuorumXid(old, "db-a")));
        }
    }

    @Test
    void aLogDirectoryRecordsItsNodeIdAndRefusesAnotherNode(@TempDir Path dir) throws Exception {
        QuorumTransactionManager.builder().nodeId("orders-1").logDirectory(dir).build().close();
        assertThat(Files.readString(dir.resolve("node-id")).strip()).isEqualTo("orders-1");
        assertThat(NodeIdFile.read(dir)).contains("orders-1");
        assertThatThrownBy(() -> QuorumTransactionManager.builder().nodeId("orders-2").logDirectory(dir).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("belongs to node 'orders-1'").hasMessageContaining("is node 'orders-2'")
                .hasMessageContaining(dir.toString()).hasMessageContaining("nodeId(\"orders-1\")");
        // The refused manager released the directory: its own node opens it again.
        QuorumTransactionManager.builder().nodeId("orders-1").logDirectory(dir).build().close();
    }

    @Test
    void recoverySettingsAreValidatedWithTheirNames() {
        assertThatThrownBy(() -> builder().recoveryInterval(Duration.ofSeconds(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("recoveryInterval");
        assertThatThrownBy(() -> builder().recoverySafetyInterval(Duration.ofSeconds(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("recoverySafetyInterval");
        assertThat(log.isClosed()).as("nothing was opened").isFalse();
    }

    @Test
    void recoverOnAClosedManagerSaysSo() {
        QuorumTransactionManager tm = builder().build();
        tm.close();
        assertThatThrownBy(tm::recover).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
