package io.quorumtx.tm.recovery;

import static io.quorumtx.tm.recovery.RecoveryPlanTest.CLOCK;
import static io.quorumtx.tm.recovery.RecoveryPlanTest.NOW;
import static io.quorumtx.tm.recovery.RecoveryPlanTest.SAFETY;
import static io.quorumtx.tm.recovery.RecoveryPlanTest.gtrid;
import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.paxos.InProcessCluster;
import io.quorumtx.tm.paxos.ReplicatedCommitLog;
import io.quorumtx.tm.paxos.ReplicatedLogConfig;
import io.quorumtx.tm.paxos.StartMode;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.xid.QuorumXid;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RelistedBranchGuardTest}'s guard with the replicated log: a branch recorded finished
 * (BRANCH_DONE, forced to a majority of acceptors) stays known as finished when the node that
 * recorded it restarts, when another node asks, and after the commit's END; so recovery rolls
 * back a re-listed finished branch (H2 2.4.240's never-prepared work under an old name) instead
 * of committing it in one database only.
 */
class ReplicatedRelistedBranchGuardTest {
    private static final OwnerLiveness NOBODY_DECIDES = (owner, gtrid) -> false;
    private static final byte[] SECRET = "test-secret-0123456789".getBytes(StandardCharsets.UTF_8);
    private static final BranchRecord A = new BranchRecord("db-a", "db-a");
    private static final BranchRecord B = new BranchRecord("db-b", "db-b");
    private static final List<String> IDS = List.of("n1", "n2", "n3");

    @TempDir
    Path dir;

    private final InProcessCluster cluster = new InProcessCluster();
    private final Map<String, ReplicatedCommitLog> logs = new LinkedHashMap<>();
    private final ScriptedXAResource dbA = new ScriptedXAResource("db-a");
    private final ScriptedXAResource dbB = new ScriptedXAResource("db-b");

    @AfterEach
    void closeLogs() {
        for (String id : new ArrayList<>(logs.keySet())) {
            stop(id);
        }
    }

    private ReplicatedCommitLog start(String id) {
        List<String> members = new ArrayList<>();
        for (int i = 0; i < IDS.size(); i++) {
            members.add(IDS.get(i) + "=127.0.0.1:" + (7000 + i));
        }
        ReplicatedCommitLog log = ReplicatedCommitLog.open(ReplicatedLogConfig.builder().nodeId(id)
                .dataDirectory(dir.resolve(id)).members(members).secret(SECRET).inProcess(cluster)
                .requestTimeout(Duration.ofMillis(300)).commitTimeout(Duration.ofSeconds(2))
                .lease(Duration.ofSeconds(30))
                // the shared fixture's gtrids carry a fixed begin time in the past: keep them inside the horizon
                .tombstoneRetention(Duration.ofDays(3650))
                // a node's first start bootstraps its member; a restart reopens its files
                .startMode(Files.isDirectory(dir.resolve(id)) ? StartMode.RESTART : StartMode.BOOTSTRAP).build());
        logs.put(id, log);
        return log;
    }

    /** The node's process stops: its log and acceptor close and it is unreachable. */
    private void stop(String id) {
        cluster.disconnect(id);
        ReplicatedCommitLog log = logs.remove(id);
        if (log != null) {
            log.close();
        }
    }

    private void startAll() {
        IDS.forEach(this::start);
    }

    /** A COMMIT of two branches, logged by n1 for a transaction it began five minutes before {@code NOW}. */
    private String loggedCommit() {
        String g = gtrid("n1", 1, Duration.ofMinutes(5));
        logs.get("n1").logCommit(new CommitRecord(g, List.of(A, B), NOW.toEpochMilli()));
        return g;
    }

    /** Recovery through {@code log} over both databases, where db-a lists {@code g}'s finished branch again. */
    private ResolveReport recoverWithImpostor(ReplicatedCommitLog log, String g) {
        dbA.addPrepared(new QuorumXid(g, "db-a"));
        Recovery recovery = new Recovery(log, List.of(new ScriptedRecoverableResource("db-a", dbA),
                new ScriptedRecoverableResource("db-b", dbB)), NOBODY_DECIDES, SAFETY, CLOCK);
        return recovery.resolve(false);
    }

    private void assertImpostorRolledBack(String g, ResolveReport report) {
        assertThat(dbA.committed()).as("db-a commits of never-prepared work; report %s", report.summary()).isEmpty();
        assertThat(dbA.rolledBack()).as("report %s", report.summary()).containsExactly(new QuorumXid(g, "db-a"));
        assertThat(report.steps()).singleElement().satisfies(s -> {
            assertThat(s.outcome()).isEqualTo(ResolveReport.Outcome.ROLLED_BACK);
            assertThat(s.step().reason()).contains("the database listed an already finished branch again");
        });
    }

    @Test
    void aFinishedBranchIsStillKnownFinishedWhenTheCoordinatorRestarts() {
        startAll();
        String g = loggedCommit();
        logs.get("n1").logBranchDone(g, A);

        stop("n1");
        ReplicatedCommitLog restarted = start("n1");
        assertThat(restarted.unfinished()).extracting(CommitRecord::gtrid).containsExactly(g);
        assertThat(restarted.isBranchDone(g, A)).as("BRANCH_DONE read back after the restart").isTrue();
        assertThat(restarted.isBranchDone(g, B)).as("the branch nobody finished").isFalse();

        assertImpostorRolledBack(g, recoverWithImpostor(restarted, g));
    }

    @Test
    void aListedBranchIsLeftAloneWhileNoMajorityCanSayWhetherItIsFinished() {
        startAll();
        String g = loggedCommit();
        logs.get("n1").logBranchDone(g, A);
        stop("n1");
        ReplicatedCommitLog restarted = start("n1");
        assertThat(restarted.unfinished()).extracting(CommitRecord::gtrid).containsExactly(g);
        cluster.isolate("n2");
        cluster.isolate("n3");

        ResolveReport report = recoverWithImpostor(restarted, g);
        assertThat(dbA.committed()).as("report %s", report.summary()).isEmpty();
        assertThat(dbA.rolledBack()).as("report %s", report.summary()).isEmpty();
        assertThat(report.steps()).singleElement().satisfies(s -> {
            assertThat(s.outcome()).isEqualTo(ResolveReport.Outcome.LEFT);
            assertThat(s.step().reason()).contains("cannot be known now").contains("a majority is needed");
        });
    }

    @Test
    void aFinishedBranchIsReadBackFromAMajorityThatTheRecordingDidNotReachWhole() {
        startAll();
        cluster.isolate("n3");
        String g = loggedCommit();
        logs.get("n1").logBranchDone(g, A); // durable on n1 and n2 only
        cluster.heal("n3");
        cluster.isolate("n1");
        assertThat(logs.get("n3").isBranchDone(g, A)).as("n3 asks n2 and n3 (n1 is cut off)").isTrue();
        assertThat(logs.get("n3").isBranchDone(g, B)).isFalse();
    }

    @Test
    void aFinishedBranchIsStillKnownFinishedAfterTheCommitsEnd() {
        startAll();
        String g = loggedCommit();
        logs.get("n1").logBranchDone(g, A);
        logs.get("n1").logBranchDone(g, B);
        logs.get("n1").logEndForced(g);

        assertThat(logs.get("n1").isBranchDone(g, A)).as("on the node that wrote the END").isTrue();
        assertThat(logs.get("n2").isBranchDone(g, A)).as("on another node").isTrue();
        assertImpostorRolledBack(g, recoverWithImpostor(logs.get("n2"), g));
    }

    /**
     * The commit path finishes its branches without BRANCH_DONE (H2's XAResource commits a prepared
     * branch by name too) and writes END once all are finished: a branch listed after that is not
     * ours, as with the local log, which forgets the COMMIT at END so the branch meets presumed abort.
     */
    @Test
    void anyBranchListedAfterTheCommitPathsEndIsRolledBackNotCommitted() {
        startAll();
        String g = loggedCommit();
        logs.get("n1").logEnd(g);
        Poll.until("the lazy END reaches n1's acceptor", Duration.ofSeconds(10),
                () -> logs.get("n1").acceptorCopy(g).finished());
        assertThat(logs.get("n2").isBranchDone(g, A)).as("a branch of a finished commit").isTrue();
        assertImpostorRolledBack(g, recoverWithImpostor(logs.get("n2"), g));
    }

    @Test
    void theTombstoneKeepsTheFinishedBranchesWhenEveryNodeRestarts() {
        startAll();
        String g = loggedCommit();
        logs.get("n1").logBranchDone(g, A);
        logs.get("n1").logEndForced(g);
        IDS.forEach(this::stop);
        startAll();

        assertThat(logs.get("n2").isBranchDone(g, A)).isTrue();
        assertImpostorRolledBack(g, recoverWithImpostor(logs.get("n1"), g));
    }
}
