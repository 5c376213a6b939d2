package io.quorumtx.tm.recovery;

import static io.quorumtx.tm.recovery.RecoveryPlanTest.CLOCK;
import static io.quorumtx.tm.recovery.RecoveryPlanTest.NOW;
import static io.quorumtx.tm.recovery.RecoveryPlanTest.SAFETY;
import static io.quorumtx.tm.recovery.RecoveryPlanTest.gtrid;
import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.xid.QuorumXid;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The guard against a database that lists an already finished branch again (H2 2.4.240 does so
 * for a never-prepared transaction that reused a resolved branch's id): recovery records every
 * branch of a logged commit it finishes (BRANCH_DONE, forced), writes END forced, and rolls back
 * a listed branch the log records as finished instead of committing it.
 */
class RelistedBranchGuardTest {
    private static final OwnerLiveness NOBODY_DECIDES = (owner, gtrid) -> false;

    private final InMemoryCommitLog log = new InMemoryCommitLog();
    private final ScriptedXAResource dbA = new ScriptedXAResource("db-a");
    private final ScriptedXAResource dbB = new ScriptedXAResource("db-b");
    private final ScriptedRecoverableResource recA = new ScriptedRecoverableResource("db-a", dbA);
    private final ScriptedRecoverableResource recB = new ScriptedRecoverableResource("db-b", dbB);

    private Recovery recovery() {
        return new Recovery(log, List.of(recA, recB), NOBODY_DECIDES, SAFETY, CLOCK);
    }

    private String loggedCommit() {
        String g = gtrid("n1", 1, Duration.ofMinutes(5));
        log.logCommit(new CommitRecord(g, List.of(new BranchRecord("db-a", "db-a"), new BranchRecord("db-b", "db-b")),
                NOW.toEpochMilli()));
        return g;
    }

    @Test
    void aListedBranchThatTheLogRecordsAsFinishedIsRolledBackNotCommitted() {
        String g = loggedCommit();
        log.logBranchDone(g, new BranchRecord("db-a", "db-a"));
        QuorumXid impostor = new QuorumXid(g, "db-a");
        dbA.addPrepared(impostor);

        Recovery recovery = recovery();
        List<PlannedStep> plan = recovery.plan(recovery.scan());
        assertThat(plan).singleElement().satisfies(step -> {
            assertThat(step.action()).isEqualTo(RecoveryAction.ROLLBACK);
            assertThat(step.reason()).contains("the database listed an already finished branch again");
        });

        ResolveReport report = recovery.resolve(false);
        assertThat(dbA.rolledBack()).containsExactly(impostor);
        assertThat(dbA.committed()).isEmpty();
        assertThat(report.steps()).singleElement()
                .satisfies(s -> assertThat(s.outcome()).isEqualTo(ResolveReport.Outcome.ROLLED_BACK));
    }

    @Test
    void theSameBranchWithoutBranchDoneIsStillCommitted() {
        String g = loggedCommit();
        log.logBranchDone(g, new BranchRecord("db-b", "db-b")); // another branch is finished, not this one
        dbA.addPrepared(new QuorumXid(g, "db-a"));
        Recovery recovery = recovery();
        assertThat(recovery.plan(recovery.scan())).singleElement()
                .satisfies(step -> assertThat(step.action()).isEqualTo(RecoveryAction.COMMIT));
    }

    @Test
    void recoveryRecordsEachBranchItCommitsAndForcesTheEndOnceAllAreDone() {
        String g = loggedCommit();
        dbA.addPrepared(new QuorumXid(g, "db-a"));
        recB.unreachable("connection refused");

        ResolveReport first = recovery().resolve(false);
        assertThat(dbA.committed()).containsExactly(new QuorumXid(g, "db-a"));
        assertThat(log.isBranchDone(g, new BranchRecord("db-a", "db-a"))).as("BRANCH_DONE for the committed branch")
                .isTrue();
        assertThat(log.isBranchDone(g, new BranchRecord("db-b", "db-b"))).isFalse();
        assertThat(log.ends()).as("db-b is unreachable: the commit stays unfinished").isEmpty();
        assertThat(first.endsWritten()).isEmpty();

        recB.unreachable(null);
        ResolveReport second = recovery().resolve(false);
        assertThat(second.endsWritten()).containsExactly(g);
        assertThat(log.forcedEnds()).as("recovery's END is forced").containsExactly(g);
    }

    @Test
    void aBranchTheResourceNoLongerKnowsCountsAsFinished() {
        String g = loggedCommit();
        QuorumXid xid = new QuorumXid(g, "db-a");
        dbA.addPrepared(xid);
        dbA.loseReply(ScriptedXAResource.Op.COMMIT, javax.transaction.xa.XAException.XAER_NOTA, 1);
        recB.unreachable("down"); // keeps the commit unfinished, so its BRANCH_DONE stays visible
        ResolveReport report = recovery().resolve(false);
        assertThat(report.steps()).singleElement()
                .satisfies(s -> assertThat(s.outcome()).isEqualTo(ResolveReport.Outcome.ALREADY_DONE));
        assertThat(log.isBranchDone(g, new BranchRecord("db-a", "db-a"))).isTrue();
    }
}
