package io.quorumtx.tm.recovery;

import static io.quorumtx.tm.recovery.RecoveryPlanTest.CLOCK;
import static io.quorumtx.tm.recovery.RecoveryPlanTest.NOBODY_DECIDES;
import static io.quorumtx.tm.recovery.RecoveryPlanTest.NOW;
import static io.quorumtx.tm.recovery.RecoveryPlanTest.SAFETY;
import static io.quorumtx.tm.recovery.RecoveryPlanTest.gtrid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.protocol.HeuristicOutcome;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.recovery.ResolveReport.Outcome;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import io.quorumtx.tm.xid.QuorumXid;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import javax.transaction.xa.XAException;
import org.junit.jupiter.api.Test;

/** Resolve: applying plans, re-driving logged commits, END records, unreachable resources, heuristics, rescans. */
class RecoveryResolveTest {
    private final InMemoryCommitLog log = new InMemoryCommitLog();
    private final ScriptedXAResource a = new ScriptedXAResource("db-a");
    private final ScriptedXAResource b = new ScriptedXAResource("db-b");
    private final ScriptedRecoverableResource aRecovery = new ScriptedRecoverableResource("db-a", a);
    private final ScriptedRecoverableResource bRecovery = new ScriptedRecoverableResource("db-b", b);

    private Recovery recovery(OwnerLiveness liveness) {
        return new Recovery(log, List.of(aRecovery, bRecovery), liveness, SAFETY, CLOCK);
    }

    private String loggedCommit(int seq) {
        String g = gtrid("n1", seq, Duration.ofMinutes(1));
        log.logCommit(new CommitRecord(g, List.of(new BranchRecord("db-a", "db-a"), new BranchRecord("db-b", "db-b")),
                NOW.toEpochMilli()));
        return g;
    }

    @Test
    void anUnfinishedCommitIsReDrivenAndItsEndWrittenOnceEveryBranchIsDone() {
        String g = loggedCommit(1);
        QuorumXid onA = new QuorumXid(g, "db-a");
        a.addPrepared(onA); // db-b committed before the crash: absent from its resource
        ResolveReport report = recovery(NOBODY_DECIDES).resolve(false);
        assertThat(a.committed()).containsExactly(onA);
        assertThat(report.steps()).singleElement().satisfies(s -> {
            assertThat(s.outcome()).isEqualTo(Outcome.COMMITTED);
            assertThat(s.step().reason()).isEqualTo("logged COMMIT");
        });
        assertThat(log.ends()).containsExactly(g);
        assertThat(report.endsWritten()).containsExactly(g);
        assertThat(report.unfinishedCommits()).isEmpty();
        assertThat(report.nothingInDoubt()).isTrue();
        assertThat(aRecovery.closedConnections()).isEqualTo(aRecovery.openedConnections());
        assertThat(bRecovery.closedConnections()).isEqualTo(bRecovery.openedConnections());
    }

    @Test
    void anUnfinishedCommitWithNoBranchLeftOnlyGetsItsEnd() {
        String g = loggedCommit(1);
        ScanResult scan = recovery(NOBODY_DECIDES).scan();
        assertThat(scan.unfinishedWithoutBranches()).singleElement().satisfies(uc -> {
            assertThat(uc.gtrid()).isEqualTo(g);
            assertThat(uc.finished()).isTrue();
        });
        ResolveReport report = recovery(NOBODY_DECIDES).resolve(false);
        assertThat(report.endsWritten()).containsExactly(g);
        assertThat(log.unfinished()).isEmpty();
    }

    @Test
    void noEndIsWrittenWhileTheOwnerMayStillBeFinishingTheCommit() {
        String g = loggedCommit(1);
        ResolveReport report = recovery((owner, gtrid) -> true).resolve(false);
        assertThat(report.endsWritten()).isEmpty();
        assertThat(log.ends()).isEmpty();
        assertThat(report.unfinishedCommits()).singleElement().satisfies(uc -> assertThat(uc.gtrid()).isEqualTo(g));
    }

    @Test
    void anUnreachableResourceIsReportedItsCommitStaysUnfinishedAndTheNextPassFinishesIt() {
        String g = loggedCommit(1);
        a.addPrepared(new QuorumXid(g, "db-a"));
        b.addPrepared(new QuorumXid(g, "db-b"));
        bRecovery.unreachable("Connection refused: db-b.example:5432");
        ResolveReport first = recovery(NOBODY_DECIDES).resolve(false);
        assertThat(first.unreachableResources()).containsOnlyKeys("db-b");
        assertThat(first.unreachableResources().get("db-b")).contains("XAER_RMFAIL").contains("Connection refused");
        assertThat(a.committed()).hasSize(1);
        assertThat(log.ends()).isEmpty();
        assertThat(first.unfinishedCommits()).singleElement().satisfies(uc -> {
            assertThat(uc.gtrid()).isEqualTo(g);
            assertThat(uc.blockedBy()).containsOnlyKeys("db-b");
        });
        assertThat(first.nothingInDoubt()).isFalse();

        bRecovery.unreachable(null);
        ResolveReport second = recovery(NOBODY_DECIDES).resolve(false);
        assertThat(second.unreachableResources()).isEmpty();
        assertThat(b.committed()).hasSize(1);
        assertThat(log.ends()).containsExactly(g);
        assertThat(second.nothingInDoubt()).isTrue();
    }

    @Test
    void anUnreachableResourcesErrorNeverCarriesAPassword() {
        bRecovery.unreachable("cannot connect to jdbc:postgresql://db/x?user=app&password=s3cret&ssl=true;PWD = hunter2");
        ScanResult scan = recovery(NOBODY_DECIDES).scan();
        assertThat(scan.unreachableResources().get("db-b")).doesNotContain("s3cret").doesNotContain("hunter2")
                .contains("password=***").contains("user=app");
    }

    @Test
    void aCommitWithABranchInAResourceThatIsNotRegisteredStaysUnfinished() {
        String g = gtrid("n1", 1, Duration.ofMinutes(1));
        log.logCommit(new CommitRecord(g, List.of(new BranchRecord("db-a", "db-a"), new BranchRecord("db-x", "db-x")),
                NOW.toEpochMilli()));
        ResolveReport report = recovery(NOBODY_DECIDES).resolve(false);
        assertThat(log.ends()).isEmpty();
        assertThat(report.unfinishedCommits()).singleElement().satisfies(uc -> {
            assertThat(uc.blockedBy()).containsOnlyKeys("db-x");
            assertThat(uc.blockedBy().get("db-x")).contains("not registered");
        });
    }

    @Test
    void aResourceWhoseRecoverFailsIsReportedAsUnreachable() {
        b.fail(Op.RECOVER, XAException.XAER_RMERR, 1);
        ScanResult scan = recovery(NOBODY_DECIDES).scan();
        assertThat(scan.unreachableResources()).containsOnlyKeys("db-b");
        assertThat(bRecovery.closedConnections()).as("the failed scan's connection is closed").isEqualTo(1);
    }

    @Test
    void aHeuristicOutcomeIsForgottenAndReported() {
        String g = loggedCommit(1);
        QuorumXid onA = new QuorumXid(g, "db-a");
        a.addPrepared(onA);
        a.fail(Op.COMMIT, XAException.XA_HEURRB, 1);
        ResolveReport report = recovery(NOBODY_DECIDES).resolve(false);
        assertThat(report.steps()).singleElement().satisfies(s -> {
            assertThat(s.outcome()).isEqualTo(Outcome.HEURISTIC);
            assertThat(s.heuristic()).contains(HeuristicOutcome.Kind.ROLLED_BACK);
            assertThat(s.detail()).contains("XA_HEURRB");
        });
        assertThat(report.heuristics()).singleElement().satisfies(h -> {
            assertThat(h.gtrid()).isEqualTo(g);
            assertThat(h.resourceName()).isEqualTo("db-a");
            assertThat(h.decision()).isEqualTo(HeuristicOutcome.Decision.COMMIT);
            assertThat(h.contradictsDecision()).isTrue();
        });
        assertThat(report.heuristicCount()).isEqualTo(1);
        assertThat(a.count(Op.FORGET)).isEqualTo(1);
        assertThat(a.prepared()).isEmpty();
        assertThat(log.ends()).containsExactly(g); // the branch is finished, if not as decided
    }

    @Test
    void aFailedCommitLeavesTheBranchInDoubtAndIsNotRepeatedInTheSameRun() {
        String g = loggedCommit(1);
        a.addPrepared(new QuorumXid(g, "db-a"));
        a.fail(Op.COMMIT, XAException.XAER_RMERR, 5);
        ResolveReport report = recovery(NOBODY_DECIDES).resolve(false);
        assertThat(report.steps()).singleElement().satisfies(s -> {
            assertThat(s.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(s.detail()).contains("XAER_RMERR");
        });
        assertThat(a.count(Op.COMMIT)).isEqualTo(1);
        assertThat(report.remainingInDoubt()).isEqualTo(1);
        assertThat(log.ends()).isEmpty();
    }

    @Test
    void rescansUntilAResourceThatClearsOneBranchPerRecoverHasClearedThemAll() {
        a.clearsOnlyOneRollbackPerRecover();
        for (int i = 1; i <= 3; i++) {
            a.addPrepared(new QuorumXid(gtrid("n1", i, Duration.ofHours(1)), "db-a"));
        }
        ResolveReport report = recovery(NOBODY_DECIDES).resolve(false);
        assertThat(a.prepared()).isEmpty();
        assertThat(a.rolledBack()).hasSize(3);
        assertThat(report.passes()).isEqualTo(4); // three that each clear one, and one that finds nothing
        assertThat(report.steps()).hasSize(3).allSatisfy(s -> assertThat(s.outcome()).isEqualTo(Outcome.ROLLED_BACK));
        assertThat(report.remainingInDoubt()).isZero();
    }

    @Test
    void aBranchTheResourceKeepsListingAfterItsCommitIsReportedFailedAndTheRunEnds() {
        ScriptedXAResource stuck = new ScriptedXAResource("db-a") {
            @Override
            public synchronized void commit(javax.transaction.xa.Xid xid, boolean onePhase) {
                // acknowledges and forgets to do it
            }
        };
        String g = loggedCommit(1);
        stuck.addPrepared(new QuorumXid(g, "db-a"));
        Recovery recovery = new Recovery(log, List.of(new ScriptedRecoverableResource("db-a", stuck), bRecovery),
                NOBODY_DECIDES, SAFETY, CLOCK);
        ResolveReport report = recovery.resolve(false);
        assertThat(report.passes()).isEqualTo(2);
        assertThat(report.steps()).singleElement().satisfies(s -> {
            assertThat(s.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(s.detail()).contains("still lists the branch");
        });
        assertThat(report.remainingInDoubt()).isEqualTo(1);
        assertThat(log.ends()).isEmpty();
    }

    @Test
    void anOperatorCommitIsLoggedBeforeAnyBranchIsCommitted() {
        String g = gtrid("n2", 7, Duration.ofSeconds(5)); // young, another node's: resolve would leave it
        a.addPrepared(new QuorumXid(g, "db-a"));
        b.addPrepared(new QuorumXid(g, "db-b"));
        a.fail(Op.COMMIT, new IllegalStateException("boom"), 1); // so the commit order is observable
        ResolveReport report = recovery(OwnerLiveness.stoppedNodes(Set.of("n1"))).override(g, RecoveryAction.COMMIT);
        assertThat(log.commits()).singleElement().satisfies(c -> {
            assertThat(c.gtrid()).isEqualTo(g);
            assertThat(c.branches()).containsExactly(new BranchRecord("db-a", "db-a"), new BranchRecord("db-b", "db-b"));
        });
        assertThat(report.steps()).extracting(ResolveReport.StepResult::outcome)
                .containsExactly(Outcome.FAILED, Outcome.COMMITTED);
        assertThat(report.steps().get(0).step().reason()).isEqualTo("operator override: COMMIT");
        assertThat(log.decision(g)).isEqualTo(Decision.COMMIT);
        assertThat(log.ends()).isEmpty(); // db-a is still prepared: the next run finishes it under the logged COMMIT
    }

    @Test
    void anOperatorRollbackOfALoggedCommitIsRefused() {
        String g = loggedCommit(1);
        a.addPrepared(new QuorumXid(g, "db-a"));
        assertThatThrownBy(() -> recovery(NOBODY_DECIDES).override(g, RecoveryAction.ROLLBACK))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("logged COMMIT")
                .hasMessageContaining(g);
        assertThat(a.prepared()).hasSize(1);
        assertThatThrownBy(() -> recovery(NOBODY_DECIDES).override("g1", RecoveryAction.COMMIT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a QuorumTX global transaction id");
    }

    @Test
    void anOperatorRollbackRollsBackOnlyThatTransaction() {
        String g = gtrid("n2", 1, Duration.ofSeconds(1));
        String other = gtrid("n2", 2, Duration.ofSeconds(1));
        a.addPrepared(new QuorumXid(g, "db-a"));
        a.addPrepared(new QuorumXid(other, "db-a"));
        ResolveReport report = recovery((owner, gtrid) -> true).override(g, RecoveryAction.ROLLBACK);
        assertThat(a.rolledBack()).containsExactly(new QuorumXid(g, "db-a"));
        assertThat(a.prepared()).containsExactly(new QuorumXid(other, "db-a"));
        assertThat(report.steps()).singleElement().satisfies(s -> assertThat(s.outcome()).isEqualTo(Outcome.ROLLED_BACK));
        assertThat(log.commits()).isEmpty();
    }

    @Test
    void twoResourcesUnderOneNameAreRefused() {
        assertThatThrownBy(() -> new Recovery(log, List.of(aRecovery, new ScriptedRecoverableResource("db-a", b)),
                NOBODY_DECIDES, SAFETY)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'db-a'");
    }
}
