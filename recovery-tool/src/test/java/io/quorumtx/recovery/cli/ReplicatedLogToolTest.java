package io.quorumtx.recovery.cli;

import static io.quorumtx.recovery.testing.CliRun.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.recovery.testing.CliRun.Result;
import io.quorumtx.recovery.testing.CrashedBranches;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.paxos.ReplicatedCommitLog;
import io.quorumtx.tm.paxos.ReplicatedLogConfig;
import io.quorumtx.tm.xid.QuorumXid;
import io.quorumtx.tm.xid.XidFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scan and resolve with the Paxos-replicated log instead of a local one: node n1 of a three-node
 * cluster logged the COMMIT of {@code committed} (prepared in both banks) and died; {@code
 * undecided} is prepared with nothing accepted anywhere. The tool reads the acceptors (over TCP
 * from the running nodes, or offline from their directories), shows which replicas answered, and
 * resolve finishes both the way Paxos decides.
 */
class ReplicatedLogToolTest {
    /**
     * The members' lease (and the tool's): long enough that a live member renewing every third of
     * it is not seen lapsed because its threads waited for a CPU on a loaded machine.
     */
    private static final Duration LEASE = Duration.ofSeconds(2);

    private static final String SECRET = "tool-test-cluster-secret-42";

    @TempDir
    Path dir;

    private final List<String> members = new ArrayList<>();
    private final List<ReplicatedCommitLog> running = new ArrayList<>();
    private final List<Connection> keepOpen = new ArrayList<>();
    private String urlA;
    private String urlB;
    private String committed;
    private String undecided;

    @BeforeEach
    void crashedNodeOfACluster() throws Exception {
        for (int i = 1; i <= 3; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                members.add("n" + i + "=127.0.0.1:" + s.getLocalPort());
            }
        }
        urlA = H2Bank.url(dir, "bank-a");
        urlB = H2Bank.url(dir, "bank-b");
        H2Bank.createAccounts(urlA, "sa", "", 100, 100, 100);
        H2Bank.createAccounts(urlB, "sa", "", 100, 100, 100);
        keepOpen.add(DriverManager.getConnection(urlA, "sa", ""));
        keepOpen.add(DriverManager.getConnection(urlB, "sa", ""));
        XidFactory n1 = new XidFactory("n1");
        committed = n1.newGtrid();
        undecided = n1.newGtrid();
        CrashedBranches.prepare(urlA, "sa", "", new QuorumXid(committed, "bank-a"), 1, -25);
        CrashedBranches.prepare(urlB, "sa", "", new QuorumXid(committed, "bank-b"), 1, 25);
        CrashedBranches.prepare(urlA, "sa", "", new QuorumXid(undecided, "bank-a"), 2, -25);
        CrashedBranches.prepare(urlB, "sa", "", new QuorumXid(undecided, "bank-b"), 2, 25);
        for (int i = 1; i <= 3; i++) {
            running.add(ReplicatedCommitLog.open(config("n" + i)));
        }
        running.get(0).logCommit(new CommitRecord(committed, List.of(new BranchRecord("bank-a", "bank-a"),
                new BranchRecord("bank-b", "bank-b")), System.currentTimeMillis()));
        running.remove(0).close(); // n1 dies
        // n2 and n3 hold the COMMIT at one ballot (n1 asked a bare majority, so n3 may learn it
        // only when n2 and n3 take over n1's instances after its lease): any majority the tool
        // reads then shows it chosen.
        Poll.until("n2 and n3 accepted the COMMIT at one ballot", Duration.ofSeconds(30), this::sameAcceptedBallot);
    }

    private boolean sameAcceptedBallot() {
        var n2 = running.get(0).acceptorCopy(committed);
        var n3 = running.get(1).acceptorCopy(committed);
        return n2 != null && n3 != null && n2.acceptedBallot() != null && n2.acceptedBallot().equals(n3.acceptedBallot());
    }

    private ReplicatedLogConfig config(String id) {
        return ReplicatedLogConfig.builder().nodeId(id).dataDirectory(dir.resolve(id)).members(members)
                .secret(SECRET.getBytes(StandardCharsets.UTF_8)).lease(LEASE)
                .startMode(io.quorumtx.tm.paxos.StartMode.BOOTSTRAP).build();
    }

    @AfterEach
    void stop() throws Exception {
        running.forEach(ReplicatedCommitLog::close);
        for (Connection c : keepOpen) {
            c.close();
        }
    }

    private Path toolConfig(String... paxos) throws IOException {
        List<String> lines = new ArrayList<>(List.of("paxos.members=" + String.join(",", members), "paxos.lease=" + LEASE.toMillis() + "ms",
                "database.bank-a.url=" + urlA, "database.bank-a.user=sa", "database.bank-a.dialect=h2",
                "database.bank-b.url=" + urlB, "database.bank-b.user=sa", "database.bank-b.dialect=h2"));
        lines.addAll(List.of(paxos));
        Path file = dir.resolve("recovery.properties");
        Files.write(file, lines);
        return file;
    }

    private long inDoubt() throws Exception {
        return H2Bank.inDoubt(urlA) + H2Bank.inDoubt(urlB);
    }

    @Test
    void overTheNetworkTheToolReadsAMajorityAndTakesOverADeadNodesTransactions() throws Exception {
        Path config = toolConfig("paxos.secret.env=CLUSTER_SECRET");
        // n1's lease must lapse at the acceptors first: until then n1 may be alive and the tool leaves it alone.
        Result early = cli().env("CLUSTER_SECRET", SECRET).run("scan", "--config", config.toString());
        assertThat(early.out()).as(early.toString()).contains("n2 answered", "n3 answered")
                .contains("n1 did not answer");
        AtomicReference<Result> lastScan = new AtomicReference<>();
        Poll.until("the acceptors see n1's lease lapse, and n2's and n3's own takeovers are done",
                Duration.ofSeconds(30), () -> {
                    Result r = cli().env("CLUSTER_SECRET", SECRET).run("scan", "--config", config.toString());
                    lastScan.set(r);
                    return !r.out().contains("LEAVE") && !r.out().contains("UNKNOWN  COMMIT");
                });
        Result scan = lastScan.get();
        assertThat(scan.exit()).as(scan.toString()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(scan.out()).containsPattern(committed.replace(".", "\\.") + "\\s+bank-a\\s+n1\\s+\\S+\\s+COMMIT\\s+COMMIT")
                .containsPattern(undecided.replace(".", "\\.") + "\\s+bank-a\\s+n1\\s+\\S+\\s+UNKNOWN\\s+ROLLBACK")
                .contains("settles it through the replicated log");
        assertThat(inDoubt()).isEqualTo(4);

        Result resolve = cli().env("CLUSTER_SECRET", SECRET).run("resolve", "--config", config.toString(), "--yes");
        assertThat(resolve.exit()).as(resolve.toString()).isEqualTo(ExitCodes.OK);
        assertThat(inDoubt()).isZero();
        assertThat(H2Bank.balance(urlA, 1)).as("committed").isEqualTo(75);
        assertThat(H2Bank.balance(urlB, 1)).as("committed").isEqualTo(125);
        assertThat(H2Bank.balance(urlA, 2)).as("rolled back").isEqualTo(100);
        assertThat(running.get(0).decision(undecided)).as("the takeover's ABORT, seen by n2").isEqualTo(
                io.quorumtx.tm.log.Decision.ABORT);
    }

    @Test
    void offlineTheToolReadsTheAcceptorDirectoriesOfAMajority() throws Exception {
        running.forEach(ReplicatedCommitLog::close);
        running.clear(); // the whole cluster is down
        Path config = toolConfig("paxos.acceptor.directories=" + dir.resolve("n2") + "," + dir.resolve("n3"),
                "paxos.tombstone.retention=5m");
        Result scan = cli().run("scan", "--config", config.toString());
        assertThat(scan.exit()).as(scan.toString()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(scan.out()).contains("offline", "n2 answered", "n3 answered")
                .containsPattern(committed.replace(".", "\\.") + "\\s+bank-a\\s+n1\\s+\\S+\\s+COMMIT\\s+COMMIT");

        Result json = cli().run("scan", "--config", config.toString(), "--json");
        var view = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
        assertThat(view.path("replicas").path("n2").asText()).isEqualTo("answered");
        assertThat(view.path("replicas").path("n1").asText()).contains("not read");
        assertThat(view.path("branches")).hasSize(4);

        Result resolve = cli().run("resolve", "--config", config.toString(), "--yes");
        assertThat(resolve.exit()).as(resolve.toString()).isEqualTo(ExitCodes.OK);
        assertThat(inDoubt()).isZero();
        assertThat(H2Bank.balance(urlB, 1)).isEqualTo(125);
        assertThat(H2Bank.balance(urlB, 2)).isEqualTo(100);
    }

    @Test
    void scanShowsAMemberThatRejoinedAfterLosingItsDiskWithItsFence() throws Exception {
        running.remove(0).close(); // n2 stops; its volume is replaced
        try (var files = Files.walk(dir.resolve("n2"))) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        ReplicatedCommitLog n2 = ReplicatedCommitLog.open(ReplicatedLogConfig.builder().nodeId("n2")
                .dataDirectory(dir.resolve("n2")).members(members).secret(SECRET.getBytes(StandardCharsets.UTF_8))
                .lease(LEASE).startMode(io.quorumtx.tm.paxos.StartMode.REJOIN).build());
        running.add(n2);
        String fence = n2.rejoinFence().orElseThrow().toString();

        Result scan = cli().env("CLUSTER_SECRET", SECRET).run("scan", "--config",
                toolConfig("paxos.secret.env=CLUSTER_SECRET").toString());
        assertThat(scan.out()).as(scan.toString()).contains("n2 answered; rejoined at ", "fence " + fence,
                "it leaves transactions begun before the fence to the other members", "n3 answered");
        Result json = cli().env("CLUSTER_SECRET", SECRET).run("scan", "--config",
                toolConfig("paxos.secret.env=CLUSTER_SECRET").toString(), "--json");
        var view = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
        assertThat(view.path("replicas").path("n2").asText()).startsWith("answered; rejoined at ").contains(fence);
        assertThat(inDoubt()).as("scan changes nothing").isEqualTo(4);
    }

    @Test
    void offlineTheToolRefusesToGuessTheClustersTombstoneRetention() throws Exception {
        running.forEach(ReplicatedCommitLog::close);
        running.clear();
        Path config = toolConfig("paxos.acceptor.directories=" + dir.resolve("n2") + "," + dir.resolve("n3"));
        Result scan = cli().run("scan", "--config", config.toString());
        assertThat(scan.exit()).as(scan.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(scan.err()).contains("paxos.tombstone.retention", "tombstoneRetention")
                .containsIgnoringCase("nothing was changed");
        assertThat(inDoubt()).isEqualTo(4);
    }

    @Test
    void withEveryReplicaDeletedThreePhaseTransactionsAreFinishedFromTheirMarkersAlone() throws Exception {
        XidFactory n1 = new XidFactory("n1");
        String marked = n1.newGtrid();
        String unmarked = n1.newGtrid();
        CrashedBranches.prepare(urlA, "sa", "", new QuorumXid(marked, "bank-a", true), 3, -10);
        CrashedBranches.prepare(urlB, "sa", "", new QuorumXid(marked, "bank-b", true), 3, 10);
        try (Connection c = DriverManager.getConnection(urlA, "sa", ""); var s = c.createStatement()) {
            s.execute("INSERT INTO account(id, balance) VALUES (4, 100)"); // a row no other prepared branch holds
        }
        CrashedBranches.prepare(urlA, "sa", "", new QuorumXid(unmarked, "bank-a", true), 4, -1);
        try (Connection c = DriverManager.getConnection(urlB, "sa", ""); var s = c.createStatement()) {
            s.execute(io.quorumtx.jdbc.internal.PreCommitMarkerTable.ddl("quorumtx_precommit"));
        }
        io.quorumtx.jdbc.RecoveryResources.dialect("bank-b", h2(urlB), io.quorumtx.jdbc.dialect.Dialect.h2())
                .preCommitMarkers().write(marked, List.of("bank-a", "bank-b"));
        running.forEach(ReplicatedCommitLog::close);
        running.clear();
        for (String node : List.of("n1", "n2", "n3")) {
            try (var files = Files.walk(dir.resolve(node))) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p); // every replica of the commit log is gone
                }
            }
        }
        Path config = toolConfig("paxos.acceptor.directories=" + dir.resolve("n2") + "," + dir.resolve("n3"),
                "paxos.tombstone.retention=5m");

        Result scan = cli().run("scan", "--config", config.toString());
        assertThat(scan.exit()).as(scan.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(scan.out()).contains("CANNOT BE READ", "Pre-commit markers", marked, "[3PC]");

        Result fromMarkers = cli().run("resolve", "--config", config.toString(), "--yes");
        assertThat(fromMarkers.exit()).as(fromMarkers.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(H2Bank.balance(urlA, 3)).as("the marker in bank-b proves COMMIT%s", fromMarkers).isEqualTo(90);
        assertThat(H2Bank.balance(urlB, 3)).isEqualTo(110);
        assertThat(fromMarkers.err()).contains("--assume-log-lost").contains("two-phase-commit branch needs its commit log");
        assertThat(inDoubt()).as("the four 2PC branches and the unmarked 3PC one are left").isEqualTo(5);

        Result assumed = cli().run("resolve", "--config", config.toString(), "--yes", "--assume-log-lost=n1");
        assertThat(assumed.exit()).as("2PC branches still need the operator").isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(inDoubt()).as("the unmarked 3PC branch was rolled back").isEqualTo(4);
        assertThat(assumed.out()).contains(unmarked).contains("ROLLED_BACK");
    }

    @Test
    void assumeLogLostIsRefusedWhileAMajorityOfReplicasAnswers() throws Exception {
        Path config = toolConfig("paxos.secret.env=CLUSTER_SECRET");
        Result r = cli().env("CLUSTER_SECRET", SECRET).run("resolve", "--config", config.toString(), "--yes",
                "--assume-log-lost=n1");
        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).contains("--assume-log-lost applies only when the commit log cannot be read");
        assertThat(inDoubt()).isEqualTo(4);
    }

    private static javax.sql.DataSource h2(String url) {
        org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
        ds.setURL(url);
        ds.setUser("sa");
        return ds;
    }

    @Test
    void withoutAMajorityOfReplicasTheToolChangesNothing() throws Exception {
        running.forEach(ReplicatedCommitLog::close);
        running.clear();
        Path config = toolConfig("paxos.acceptor.directories=" + dir.resolve("n2"), "paxos.tombstone.retention=5m");
        Result r = cli().run("resolve", "--config", config.toString(), "--yes");
        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).contains("Only 1 of 3 replicas", "majority (2)").containsIgnoringCase("nothing was changed");
        assertThat(inDoubt()).isEqualTo(4);
    }

    /**
     * A refused offline run (a minority of acceptor directories) releases the directories it
     * opened: the tool runs in this JVM, so a leaked lock would make the next run, with a
     * majority, find n2's directory still locked and refuse it as if n2 were running.
     */
    @Test
    void anOfflineRunRefusedForWantOfAMajorityReleasesTheDirectoriesItOpened() throws Exception {
        running.forEach(ReplicatedCommitLog::close);
        running.clear();
        Result refused = cli().run("scan", "--config",
                toolConfig("paxos.acceptor.directories=" + dir.resolve("n2"), "paxos.tombstone.retention=5m").toString());
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(refused.err()).contains("Only 1 of 3 replicas");

        Result scan = cli().run("scan", "--config", toolConfig("paxos.acceptor.directories=" + dir.resolve("n2") + ","
                + dir.resolve("n3"), "paxos.tombstone.retention=5m").toString());
        assertThat(scan.exit()).as(scan.toString()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(scan.out()).contains("n2 answered", "n3 answered");
    }

    @Test
    void aWrongSecretReachesNoReplicaAndChangesNothing() throws Exception {
        Path config = toolConfig("paxos.secret.env=CLUSTER_SECRET");
        Result r = cli().env("CLUSTER_SECRET", "not-the-cluster-secret-at-all").run("resolve", "--config",
                config.toString(), "--yes");
        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).contains("Only 0 of 3 replicas");
        assertThat(inDoubt()).isEqualTo(4);
    }

    @Test
    void duringASecretRotationTheToolReachesMembersThatOnlyKnowItsPreviousSecret() throws Exception {
        Path config = toolConfig("paxos.secret.env=NEW_SECRET", "paxos.secret.previous.env=CLUSTER_SECRET");
        Result scan = cli().env("NEW_SECRET", "the-next-cluster-secret-0123").env("CLUSTER_SECRET", SECRET)
                .run("scan", "--config", config.toString());
        assertThat(scan.out()).as(scan.toString()).contains("n2 answered", "n3 answered");
        assertThat(scan.out() + scan.err()).doesNotContain(SECRET);
    }
}
