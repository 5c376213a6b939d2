package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.log.LocalCommitLog;
import io.quorumtx.tm.log.OpenReport;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.xid.QuorumXid;
import jakarta.transaction.SystemException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Crashes simulated in process: a {@link CrashInjector} that throws stands in for the halt a
 * crash test's child JVM does, so these tests check the call sites and what each point leaves
 * behind; then a new manager on the same log directory and the same (surviving) databases must
 * bring every branch to one outcome. The real halts are in integration-tests.
 */
class CrashRecoveryTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final ScriptedXAResource a = new ScriptedXAResource("db-a");
    private final ScriptedXAResource b = new ScriptedXAResource("db-b");

    /** What the injector throws instead of halting. */
    static final class SimulatedCrash extends RuntimeException {
        SimulatedCrash(CrashPoint point) {
            super("simulated crash at " + point);
        }
    }

    private QuorumTransactionManager manager(CrashInjector injector) {
        return QuorumTransactionManager.builder().nodeId("n1").logDirectory(dir).crashInjector(injector)
                .phase2Retry(Duration.ofMillis(5), Duration.ofMillis(20)).build();
    }

    private void transfer(QuorumTransactionManager tm) throws Exception {
        tm.begin();
        tm.getTransaction().enlistResource(a);
        tm.getTransaction().enlistResource(b);
        tm.commit();
    }

    private static String gtridOf(ScriptedXAResource r) {
        return ((QuorumXid) r.firstXid()).gtrid();
    }

    @Test
    void aReturningInjectorIsCalledAtEveryPointInOrderAndTheCommitCompletes() throws Exception {
        List<String> reached = Collections.synchronizedList(new ArrayList<>());
        try (QuorumTransactionManager tm = manager((point, gtrid) -> reached.add(point + " " + gtrid))) {
            transfer(tm);
        }
        String g = gtridOf(a);
        assertThat(reached).containsExactly("AFTER_SOME_PREPARED " + g, "AFTER_ALL_PREPARED " + g,
                "LOG_APPEND_TORN " + g, "AFTER_COMMIT_RECORD " + g, "BETWEEN_PHASE2_COMMITS " + g);
        assertThat(a.committed()).hasSize(1);
        assertThat(b.committed()).hasSize(1);
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(log.openReport().clean()).as("the whole frame was written over the partial one").isTrue();
            assertThat(log.openReport().recordsRead()).isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(value = CrashPoint.class, mode = EnumSource.Mode.EXCLUDE,
            names = {"AFTER_SOME_MARKERS", "AFTER_ALL_MARKERS", // three-phase commit only: ThreePhaseCrashRecoveryTest
                "BEFORE_DECISION_BRANCH_COMMIT", "AFTER_DECISION_BRANCH_COMMIT"}) // a log that carries decisions only
    void aCrashAtEachPointIsFinishedByARestartedManagerWithOneOutcomeForEveryBranch(CrashPoint point) throws Exception {
        List<String> reached = Collections.synchronizedList(new ArrayList<>());
        try (QuorumTransactionManager tm = manager((p, gtrid) -> {
            if (p == point) {
                reached.add(gtrid);
                throw new SimulatedCrash(p);
            }
        })) {
            assertThatThrownBy(() -> transfer(tm)).isInstanceOfAny(SimulatedCrash.class, SystemException.class);
        }
        String g = gtridOf(a);
        assertThat(reached).containsExactly(g);
        boolean decided = point == CrashPoint.AFTER_COMMIT_RECORD || point == CrashPoint.BETWEEN_PHASE2_COMMITS;
        assertLeftBehind(point, g);
        a.restart();
        b.restart();

        try (QuorumTransactionManager restarted = QuorumTransactionManager.builder().nodeId("n1").logDirectory(dir)
                .build()) {
            restarted.registerResource(new ScriptedRecoverableResource("db-a", a));
            restarted.registerResource(new ScriptedRecoverableResource("db-b", b));
            Poll.until("the restarted manager's own passes finish every branch", WITHIN,
                    () -> a.prepared().isEmpty() && b.prepared().isEmpty());
            assertThat(restarted.recover().nothingInDoubt()).isTrue();
        }
        Set<Xid> outcomeA = decided ? a.committed() : a.rolledBack();
        Set<Xid> outcomeB = decided ? b.committed() : b.rolledBack();
        assertThat(outcomeA).as("db-a " + (decided ? "committed" : "rolled back")).hasSize(1);
        assertThat(outcomeB).as("db-b " + (decided ? "committed" : "rolled back")).hasSize(1);
        assertThat(decided ? a.rolledBack() : a.committed()).isEmpty();
        assertThat(decided ? b.rolledBack() : b.committed()).isEmpty();
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(log.unfinished()).as("END written once every branch was done").isEmpty();
        }
    }

    private void assertLeftBehind(CrashPoint point, String g) {
        switch (point) {
            case AFTER_SOME_PREPARED -> {
                assertThat(a.prepared()).hasSize(1);
                assertThat(b.prepared()).isEmpty();
            }
            case AFTER_ALL_PREPARED, AFTER_COMMIT_RECORD -> {
                assertThat(a.prepared()).hasSize(1);
                assertThat(b.prepared()).hasSize(1);
            }
            case BETWEEN_PHASE2_COMMITS -> {
                assertThat(a.committed()).hasSize(1);
                assertThat(b.prepared()).hasSize(1);
            }
            case LOG_APPEND_TORN -> {
                assertThat(a.prepared()).hasSize(1);
                assertThat(b.prepared()).hasSize(1);
                try (LocalCommitLog log = LocalCommitLog.open(dir)) {
                    assertThat(log.openReport().damages()).singleElement()
                            .satisfies(d -> assertThat(d.kind()).isEqualTo(OpenReport.DamageKind.TORN_TAIL));
                    assertThat(log.decision(g)).isEqualTo(Decision.UNKNOWN);
                }
            }
            default -> { } // AFTER_SOME_MARKERS, AFTER_ALL_MARKERS: three-phase only, excluded from this test's points
        }
        if (point != CrashPoint.LOG_APPEND_TORN) {
            try (LocalCommitLog log = LocalCommitLog.open(dir)) {
                boolean logged = point == CrashPoint.AFTER_COMMIT_RECORD || point == CrashPoint.BETWEEN_PHASE2_COMMITS;
                assertThat(log.unfinished()).extracting(CommitRecord::gtrid)
                        .containsExactlyElementsOf(logged ? List.of(g) : List.of());
            }
        }
    }

    @Test
    void severalTransactionsLeftByACrashAreEachFinishedByTheRestartedManager() throws Exception {
        java.util.concurrent.atomic.AtomicReference<CrashPoint> target = new java.util.concurrent.atomic.AtomicReference<>();
        List<String> gtrids = new ArrayList<>();
        try (QuorumTransactionManager tm = manager((p, gtrid) -> {
            if (p == target.get()) {
                throw new SimulatedCrash(p);
            }
        })) {
            for (CrashPoint point : List.of(CrashPoint.AFTER_COMMIT_RECORD, CrashPoint.AFTER_ALL_PREPARED,
                    CrashPoint.AFTER_COMMIT_RECORD, CrashPoint.AFTER_SOME_PREPARED)) {
                target.set(point);
                assertThatThrownBy(() -> transfer(tm)).isInstanceOf(SimulatedCrash.class);
                gtrids.add(((QuorumXid) a.calls().get(a.calls().size() - 1).xid()).gtrid());
            }
        }
        a.restart();
        b.restart();
        try (QuorumTransactionManager restarted = QuorumTransactionManager.builder().nodeId("n1").logDirectory(dir)
                .recoveryInterval(Duration.ZERO).build()) {
            restarted.registerResource(new ScriptedRecoverableResource("db-a", a));
            restarted.registerResource(new ScriptedRecoverableResource("db-b", b));
            Poll.until("every branch finished", WITHIN, () -> a.prepared().isEmpty() && b.prepared().isEmpty());
        }
        assertThat(a.committed()).extracting(x -> ((QuorumXid) x).gtrid()).containsExactlyInAnyOrder(gtrids.get(0),
                gtrids.get(2));
        assertThat(b.committed()).extracting(x -> ((QuorumXid) x).gtrid()).containsExactlyInAnyOrder(gtrids.get(0),
                gtrids.get(2));
        assertThat(a.rolledBack()).extracting(x -> ((QuorumXid) x).gtrid()).containsExactlyInAnyOrder(gtrids.get(1),
                gtrids.get(3));
        assertThat(b.rolledBack()).extracting(x -> ((QuorumXid) x).gtrid()).containsExactlyInAnyOrder(gtrids.get(1),
                gtrids.get(3)); // the unprepared branch of the last one died with the database session
    }
}
