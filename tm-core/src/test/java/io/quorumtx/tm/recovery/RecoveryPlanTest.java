package io.quorumtx.tm.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.xid.QuorumXid;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.Test;

/** The planning rules of the recovery engine, one per test, and what a scan keeps and ignores. */
class RecoveryPlanTest {
    static final Instant NOW = Instant.parse("2026-11-22T00:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final Duration SAFETY = Duration.ofMinutes(2);

    private final InMemoryCommitLog log = new InMemoryCommitLog();
    private final ScriptedXAResource db = new ScriptedXAResource("db-a");
    private final ScriptedRecoverableResource dbRecovery = new ScriptedRecoverableResource("db-a", db);

    /** A gtrid of {@code node} begun {@code age} before NOW. */
    static String gtrid(String node, int seq, Duration age) {
        return QuorumXid.formatGtrid(node, "epoch1", seq, NOW.minus(age).toEpochMilli());
    }

    /** Liveness where nobody may still decide, and nobody is known to be gone. */
    static final OwnerLiveness NOBODY_DECIDES = (owner, gtrid) -> false;

    private Recovery recovery(OwnerLiveness liveness) {
        return new Recovery(log, List.of(dbRecovery), liveness, SAFETY, CLOCK);
    }

    private PlannedStep onlyStep(Recovery recovery) {
        ScanResult scan = recovery.scan();
        assertThat(scan.branches()).hasSize(1);
        List<PlannedStep> plan = recovery.plan(scan);
        assertThat(plan).hasSize(1);
        return plan.get(0);
    }

    @Test
    void aBranchWithALoggedCommitIsCommittedWhateverItsAge() {
        String g = gtrid("n1", 1, Duration.ofSeconds(1));
        db.addPrepared(new QuorumXid(g, "db-a"));
        log.logCommit(new CommitRecord(g, List.of(new BranchRecord("db-a", "db-a")), NOW.toEpochMilli()));
        PlannedStep step = onlyStep(recovery(NOBODY_DECIDES));
        assertThat(step.action()).isEqualTo(RecoveryAction.COMMIT);
        assertThat(step.reason()).isEqualTo("logged COMMIT");
        assertThat(step.branch().logged()).isEqualTo(Decision.COMMIT);
    }

    @Test
    void aBranchWithoutDecisionOlderThanTheSafetyIntervalIsRolledBack() {
        db.addPrepared(new QuorumXid(gtrid("n1", 1, Duration.ofMinutes(3)), "db-a"));
        PlannedStep step = onlyStep(recovery(NOBODY_DECIDES));
        assertThat(step.action()).isEqualTo(RecoveryAction.ROLLBACK);
        assertThat(step.reason()).contains("presumed abort").contains("older (3m)").contains("safety interval (2m)");
        assertThat(step.branch().age()).contains(Duration.ofMinutes(3));
    }

    @Test
    void aBranchWithoutDecisionYoungerThanTheSafetyIntervalIsLeftWithTheReason() {
        db.addPrepared(new QuorumXid(gtrid("n1", 1, Duration.ofSeconds(30)), "db-a"));
        PlannedStep step = onlyStep(recovery(NOBODY_DECIDES));
        assertThat(step.action()).isEqualTo(RecoveryAction.LEAVE);
        assertThat(step.reason()).isEqualTo("no decision yet and younger (30s) than the safety interval (2m)");
    }

    @Test
    void aBranchWhoseOwnerIsGoneIsRolledBackAtOnceEvenWhenYoung() {
        db.addPrepared(new QuorumXid(gtrid("n1", 1, Duration.ofSeconds(1)), "db-a"));
        PlannedStep step = onlyStep(recovery(OwnerLiveness.stoppedNodes(Set.of("n1"))));
        assertThat(step.action()).isEqualTo(RecoveryAction.ROLLBACK);
        assertThat(step.reason()).isEqualTo(
                "no decision and owner n1 is not running (this incarnation can no longer decide): presumed abort");
    }

    @Test
    void aBranchWhoseOwnerMayStillDecideIsLeftEvenWithALoggedCommit() {
        String g = gtrid("n1", 1, Duration.ofHours(1));
        db.addPrepared(new QuorumXid(g, "db-a"));
        log.logCommit(new CommitRecord(g, List.of(new BranchRecord("db-a", "db-a")), NOW.toEpochMilli()));
        PlannedStep step = onlyStep(recovery((owner, gtrid) -> true));
        assertThat(step.action()).isEqualTo(RecoveryAction.LEAVE);
        assertThat(step.reason()).isEqualTo("owned by node n1, which may still decide");
    }

    @Test
    void otherNodesBranchesAreLeftByTheToolsLiveness() {
        db.addPrepared(new QuorumXid(gtrid("n2", 1, Duration.ofHours(5)), "db-a"));
        PlannedStep step = onlyStep(recovery(OwnerLiveness.stoppedNodes(Set.of("n1"))));
        assertThat(step.action()).isEqualTo(RecoveryAction.LEAVE);
        assertThat(step.reason()).startsWith("owned by node n2");
        assertThat(step.branch().ownerNode()).isEqualTo("n2");
    }

    @Test
    void aCommitLoggedAfterTheScanIsSeenWhenPlanning() {
        String g = gtrid("n1", 1, Duration.ofHours(1));
        db.addPrepared(new QuorumXid(g, "db-a"));
        Recovery recovery = recovery(NOBODY_DECIDES);
        ScanResult scan = recovery.scan();
        assertThat(scan.branches().get(0).logged()).isEqualTo(Decision.UNKNOWN);
        log.logCommit(new CommitRecord(g, List.of(new BranchRecord("db-a", "db-a")), NOW.toEpochMilli()));
        assertThat(recovery.plan(scan).get(0).action()).isEqualTo(RecoveryAction.COMMIT);
    }

    @Test
    void xidsOfOtherTransactionManagersAreIgnored() {
        db.addPrepared(foreign(0x1234, "n1.epoch1.1.abc", "db-a"));          // another format id
        db.addPrepared(foreign(QuorumXid.FORMAT_ID, "not-a-quorum-gtrid", "db-a"));
        ScanResult scan = recovery(NOBODY_DECIDES).scan();
        assertThat(scan.branches()).isEmpty();
        assertThat(scan.clean()).isTrue();
        ResolveReport report = recovery(NOBODY_DECIDES).resolve(false);
        assertThat(report.steps()).isEmpty();
        assertThat(db.prepared()).hasSize(2); // untouched
        assertThat(db.count(ScriptedXAResource.Op.ROLLBACK)).isZero();
    }

    @Test
    void aDryRunPlansAndChangesNothing() {
        String committed = gtrid("n1", 1, Duration.ofHours(1));
        db.addPrepared(new QuorumXid(committed, "db-a"));
        db.addPrepared(new QuorumXid(gtrid("n1", 2, Duration.ofHours(1)), "db-a"));
        db.addPrepared(new QuorumXid(gtrid("n1", 3, Duration.ofSeconds(1)), "db-a"));
        log.logCommit(new CommitRecord(committed, List.of(new BranchRecord("db-a", "db-a")), NOW.toEpochMilli()));
        ResolveReport report = recovery(NOBODY_DECIDES).resolve(true);
        assertThat(report.dryRun()).isTrue();
        assertThat(report.steps()).extracting(s -> s.step().action() + ":" + s.outcome())
                .containsExactly("COMMIT:PLANNED", "ROLLBACK:PLANNED", "LEAVE:LEFT");
        assertThat(report.remainingInDoubt()).isEqualTo(3);
        assertThat(db.prepared()).hasSize(3);
        assertThat(db.count(ScriptedXAResource.Op.COMMIT) + db.count(ScriptedXAResource.Op.ROLLBACK)).isZero();
        assertThat(log.ends()).isEmpty();
        assertThat(dbRecovery.closedConnections()).isEqualTo(dbRecovery.openedConnections()).isPositive();
    }

    static Xid foreign(int formatId, String gtrid, String bqual) {
        return new Xid() {
            @Override
            public int getFormatId() {
                return formatId;
            }

            @Override
            public byte[] getGlobalTransactionId() {
                return gtrid.getBytes(StandardCharsets.US_ASCII);
            }

            @Override
            public byte[] getBranchQualifier() {
                return bqual.getBytes(StandardCharsets.US_ASCII);
            }
        };
    }
}
