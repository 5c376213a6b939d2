package io.quorumtx.tm.recovery;

import static io.quorumtx.tm.recovery.RecoveryPlanTest.NOBODY_DECIDES;
import static io.quorumtx.tm.recovery.RecoveryPlanTest.gtrid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.spi.PreCommitMarker;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.spi.ThreePhaseParticipant;
import io.quorumtx.tm.spi.ThreePhaseResource;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.xid.QuorumXid;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import org.junit.jupiter.api.Test;

/**
 * The rules recovery follows for three-phase-commit branches: a pre-commit marker anywhere
 * proves COMMIT (even when the commit log has no record, and when the log is lost), every missing
 * marker is written before any branch commits, no marker anywhere means ROLLBACK only when the
 * operator confirmed the log is lost, a two-phase branch is never decided without its log, and
 * markers of finished transactions are deleted.
 */
class RecoveryWithoutLogTest {

    /** A participant kept in memory, enough to test the rules (the file-backed one is in integration-tests). */
    static final class MemoryParticipant implements ThreePhaseParticipant {
        final String name;
        final Set<String> prepared = ConcurrentHashMap.newKeySet();
        final Set<String> committed = ConcurrentHashMap.newKeySet();
        final Set<String> aborted = ConcurrentHashMap.newKeySet();
        final Map<String, List<String>> markers = new ConcurrentHashMap<>();
        volatile boolean markersUnreadable;

        MemoryParticipant(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void begin(String gtrid) {
        }

        @Override
        public boolean prepare(String gtrid) {
            prepared.add(gtrid);
            return true;
        }

        @Override
        public void preCommit(String gtrid, List<String> participants) {
            markers.put(gtrid, participants);
        }

        @Override
        public void commit(String gtrid) {
            if (prepared.remove(gtrid)) {
                committed.add(gtrid);
            }
        }

        @Override
        public void abort(String gtrid) {
            if (prepared.remove(gtrid)) {
                aborted.add(gtrid);
            }
        }

        @Override
        public Collection<String> prepared() {
            return List.copyOf(prepared);
        }

        @Override
        public List<PreCommitMarker> markers() {
            if (markersUnreadable) {
                throw new IllegalStateException("marker store offline");
            }
            List<PreCommitMarker> list = new ArrayList<>();
            markers.forEach((g, p) -> list.add(new PreCommitMarker(g, p, Instant.EPOCH)));
            return list;
        }

        @Override
        public void deleteMarkers(Collection<String> gtrids) {
            gtrids.forEach(markers::remove);
        }
    }

    private final MemoryParticipant a = new MemoryParticipant("part-a");
    private final MemoryParticipant b = new MemoryParticipant("part-b");
    private final List<RecoverableResource> resources = List.of(new ThreePhaseResource(a), new ThreePhaseResource(b));
    private final String g = gtrid("n1", 1, Duration.ofMinutes(5));

    @Test
    void aMarkerInOneParticipantCommitsEveryBranchAfterWritingTheMissingMarkers() {
        a.prepared.add(g);
        b.prepared.add(g);
        a.markers.put(g, List.of("part-a", "part-b"));

        ResolveReport report = Recovery.withoutLog(resources, NOBODY_DECIDES, Set.of()).resolve(false);

        assertThat(report.nothingInDoubt()).isTrue();
        assertThat(a.committed).containsExactly(g);
        assertThat(b.committed).containsExactly(g);
        assertThat(report.steps()).allSatisfy(s -> assertThat(s.step().reason()).contains("pre-commit marker in part-a"));
        assertThat(a.markers).as("finished everywhere: markers deleted").isEmpty();
        assertThat(b.markers).isEmpty();
    }

    @Test
    void withoutAnyMarkerA3pcTransactionIsLeftUnlessTheOperatorConfirmsTheLogIsLost() {
        a.prepared.add(g);
        b.prepared.add(g);

        ResolveReport left = Recovery.withoutLog(resources, NOBODY_DECIDES, Set.of()).resolve(false);
        assertThat(left.steps()).hasSize(2).allSatisfy(s -> {
            assertThat(s.outcome()).isEqualTo(ResolveReport.Outcome.LEFT);
            assertThat(s.step().reason()).contains("--assume-log-lost=n1");
        });
        assertThat(a.prepared).containsExactly(g);

        ResolveReport rolledBack = Recovery.withoutLog(resources, NOBODY_DECIDES, Set.of("n1")).resolve(false);
        assertThat(rolledBack.nothingInDoubt()).isTrue();
        assertThat(a.aborted).containsExactly(g);
        assertThat(b.aborted).containsExactly(g);
    }

    @Test
    void onlyTheBranchesOfTheNodeWhoseLogIsDeclaredLostAreRolledBack() {
        String ofN2 = gtrid("n2", 7, Duration.ofMinutes(5)); // n2 is alive: its markers come next
        a.prepared.add(g);
        b.prepared.add(g);
        a.prepared.add(ofN2);
        b.prepared.add(ofN2);

        ResolveReport report = Recovery.withoutLog(resources, NOBODY_DECIDES, Set.of("n1")).resolve(false);

        assertThat(a.aborted).as("n1's log is declared lost: its unmarked 3PC transaction rolls back").containsExactly(g);
        assertThat(b.aborted).containsExactly(g);
        assertThat(a.prepared).as("n2's log is not declared lost: its branches are left to n2").containsExactly(ofN2);
        assertThat(b.prepared).containsExactly(ofN2);
        assertThat(report.steps()).filteredOn(s -> s.step().branch().gtrid().equals(ofN2)).hasSize(2).allSatisfy(s -> {
            assertThat(s.outcome()).isEqualTo(ResolveReport.Outcome.LEFT);
            assertThat(s.step().reason()).contains("node n2").contains("not declared lost");
        });
    }

    @Test
    void unreadableMarkersKeepAnUnmarkedTransactionInDoubtEvenWithAssumeLogLost() {
        a.prepared.add(g);
        b.markersUnreadable = true;

        PlannedStep step = onlyStep(Recovery.withoutLog(resources, NOBODY_DECIDES, Set.of("n1")));

        assertThat(step.action()).isEqualTo(RecoveryAction.LEAVE);
        assertThat(step.reason()).contains("markers of part-b could not be read");
    }

    @Test
    void aTwoPhaseBranchIsNeverDecidedWithoutItsLog() {
        ScriptedXAResource db = new ScriptedXAResource("db-a");
        db.addPrepared(new QuorumXid(g, "db-a"));

        PlannedStep step = onlyStep(Recovery.withoutLog(List.of(new ScriptedRecoverableResource("db-a", db)),
                NOBODY_DECIDES, Set.of("n1")));

        assertThat(step.action()).isEqualTo(RecoveryAction.LEAVE);
        assertThat(step.reason()).contains("two-phase-commit transaction cannot be decided without its commit log");
    }

    @Test
    void aMarkerCommitsEvenWhenTheReadableLogHasNoRecordOfTheDecision() {
        a.prepared.add(g);
        b.markers.put(g, List.of("part-a", "part-b"));

        Recovery recovery = new Recovery(new InMemoryCommitLog(), resources, NOBODY_DECIDES, Duration.ZERO);
        PlannedStep step = onlyStep(recovery);

        assertThat(step.action()).isEqualTo(RecoveryAction.COMMIT);
        assertThat(step.reason()).contains("pre-commit marker in part-b").contains("commit log has no record");
        assertThat(recovery.resolve(false).nothingInDoubt()).isTrue();
        assertThat(a.committed).containsExactly(g);
    }

    @Test
    void aBranchIsNotCommittedWhileAParticipantsMarkerCannotBeWritten() {
        a.prepared.add(g);
        b.prepared.add(g);
        a.markers.put(g, List.of("part-a", "part-b", "part-c")); // part-c is not configured

        ResolveReport report = Recovery.withoutLog(resources, NOBODY_DECIDES, Set.of()).resolve(false);

        assertThat(a.committed).isEmpty();
        assertThat(b.committed).isEmpty();
        assertThat(report.steps()).allSatisfy(s -> assertThat(s.detail()).contains("part-c is not registered"));
    }

    @Test
    void theParticipantAdapterRefusesATwoPhaseTransaction() throws XAException {
        ThreePhaseResource resource = new ThreePhaseResource(a);
        assertThatThrownBy(() -> resource.start(new QuorumXid(g, "part-a", false), XAResource.TMNOFLAGS))
                .isInstanceOf(XAException.class).hasMessageContaining("only in THREE_PHASE transactions");
        assertThat(resource.recover(XAResource.TMSTARTRSCAN)).isEmpty();
    }

    private static PlannedStep onlyStep(Recovery recovery) {
        ScanResult scan = recovery.scan();
        List<PlannedStep> plan = recovery.plan(scan);
        assertThat(plan).hasSize(1);
        return plan.get(0);
    }
}
