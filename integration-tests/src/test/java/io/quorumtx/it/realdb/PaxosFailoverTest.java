package io.quorumtx.it.realdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import io.quorumtx.it.support.WrappingStyle;
import io.quorumtx.tm.testing.CrashPoint;

/**
 * Three QuorumTX nodes, each its own JVM with the Paxos-replicated commit log over TCP on
 * 127.0.0.1, moving money between two PostgreSQL databases. A coordinator halted in the middle
 * of a commit has its transactions finished by another node within 10 s of its lease lapsing;
 * with one acceptor killed (kill -9) commits go on; with a majority gone they block (in doubt,
 * never decided by a minority) and resume when a majority returns. Afterwards nothing is in
 * doubt, the total is conserved and both databases kept the same transfers.
 */
class PaxosFailoverTest {
    private static final int ACCOUNTS = 20;
    private static final long LEASE_MILLIS = 2000;
    private static final String SECRET = "paxos-failover-test-secret-7f3a";

    @TempDir
    Path dir;

    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final List<String> members = new ArrayList<>();
    /** Members started at least once: their acceptor directories exist, so they restart rather than bootstrap. */
    private final java.util.Set<String> bootstrapped = new java.util.HashSet<>();
    private List<Bank> banks;

    @AfterEach
    void cleanUp() throws Exception {
        for (Node n : nodes.values()) {
            n.process.destroyForcibly();
            n.process.waitFor(10, TimeUnit.SECONDS);
        }
        if (banks != null) {
            for (Bank b : banks) {
                for (String id : List.of("p1", "p2", "p3")) {
                    b.cleanUp(id);
                }
            }
        }
    }

    private void startCluster() throws Exception {
        banks = Topology.POSTGRESQL.open(dir, ACCOUNTS);
        for (int i = 1; i <= 3; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                members.add("p" + i + "=127.0.0.1:" + s.getLocalPort());
            }
        }
    }

    private Node start(String id, String mode, CrashPoint point) throws IOException {
        return start(id, mode, point, "TWO_PHASE");
    }

    private Node start(String id, String mode, CrashPoint point, String protocol) throws IOException {
        List<String> args = new ArrayList<>(List.of("topology=POSTGRESQL", "node=" + id,
                "members=" + String.join(",", members), "data=" + dir.resolve(id).toAbsolutePath(),
                "tables=" + String.join(",", banks.stream().map(Bank::table).toList()), "accounts=" + ACCOUNTS,
                "mode=" + mode, "lease=" + LEASE_MILLIS, "commitTimeout=3000", "protocol=" + protocol,
                "start=" + (bootstrapped.add(id) ? "BOOTSTRAP" : "RESTART")));
        if (point != null) {
            args.add("point=" + point);
            args.add("hit=3");
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), PaxosNodeChild.class.getName()));
        command.addAll(args);
        Path out = dir.resolve(id + "-" + System.nanoTime() + ".out");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        builder.environment().put(PaxosNodeChild.SECRET_VARIABLE, SECRET);
        Node node = new Node(id, builder.start(), out);
        nodes.put(id + "#" + nodes.size(), node);
        Poll.ignoringExceptions(id + " is ready", Duration.ofSeconds(60), () -> node.has("READY") || !node.process.isAlive());
        assertThat(node.process.isAlive()).as("%s started%s", id, node).isTrue();
        return node;
    }

    @ParameterizedTest(name = "coordinator halted at {0}")
    @EnumSource(value = CrashPoint.class, names = {"AFTER_ALL_PREPARED", "AFTER_COMMIT_RECORD"})
    void anotherNodeFinishesAHaltedCoordinatorsTransactionsSoonAfterItsLeaseLapses(CrashPoint point) throws Exception {
        startCluster();
        Node p1 = start("p1", "transfer", point);
        Node p2 = start("p2", "transfer", null);
        Node p3 = start("p3", "transfer", null);

        assertThat(p1.process.waitFor(60, TimeUnit.SECONDS)).as("p1 halts at %s%s", point, p1).isTrue();
        long crashedAt = System.nanoTime();
        assertThat(p1.process.exitValue()).as("exit status of p1%s", p1).isEqualTo(PaxosNodeChild.CRASH_EXIT);
        assertThat(p1.has("CRASH " + point)).isTrue();
        assertThat(prepared("p1")).as("p1's branches left prepared by its death").isNotEmpty();
        assertThat(p1.failed()).as("transfers of p1 that failed while it was alive (a live node is never taken"
                + " over)%s", p1).isZero();

        Duration deadline = Duration.ofMillis(LEASE_MILLIS).plusSeconds(10);
        Poll.ignoringExceptions("p2 or p3 finish every branch p1 left prepared", deadline, () -> prepared("p1").isEmpty());
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - crashedAt);
        System.out.printf("Paxos failover (%s): p1's branches finished %d ms after it died (lease %d ms)%n", point,
                tookMillis, LEASE_MILLIS);

        int okBefore = p2.ok() + p3.ok();
        Poll.ignoringExceptions("p2 and p3 keep committing", Duration.ofSeconds(30), () -> p2.ok() + p3.ok() >= okBefore + 5);
        p2.stop();
        p3.stop();
        Poll.ignoringExceptions("p2 and p3 stop", Duration.ofSeconds(30), () -> p2.has("STOPPED") && p3.has("STOPPED"));
        Poll.ignoringExceptions("nothing is in doubt", Duration.ofSeconds(30), () -> preparedAll().isEmpty());

        long committed = (long) p1.ok() + p2.ok() + p3.ok() + (point == CrashPoint.AFTER_COMMIT_RECORD ? 1 : 0);
        assertThat(p2.inDoubt() + p3.inDoubt()).as("in-doubt outcomes on the surviving nodes").isZero();
        verify(committed, committed);
    }

    @ParameterizedTest(name = "3PC coordinator halted at {0}")
    @EnumSource(value = CrashPoint.class, names = {"AFTER_SOME_MARKERS", "AFTER_ALL_MARKERS"})
    void anotherNodeFinishesAHalted3pcCoordinatorFromTheReplicatedLog(CrashPoint point) throws Exception {
        startCluster();
        Node p1 = start("p1", "transfer", point, "THREE_PHASE");
        Node p2 = start("p2", "transfer", null, "THREE_PHASE");
        start("p3", "idle", null, "THREE_PHASE");

        assertThat(p1.process.waitFor(60, TimeUnit.SECONDS)).as("p1 halts at %s%s", point, p1).isTrue();
        assertThat(p1.has("CRASH " + point)).as("%s", p1).isTrue();
        assertThat(prepared("p1")).as("p1's 3PC branches left prepared by its death").isNotEmpty();
        Poll.ignoringExceptions("p2 or p3 finish p1's 3PC transaction", Duration.ofMillis(LEASE_MILLIS).plusSeconds(10),
                () -> prepared("p1").isEmpty());
        p2.stop();
        Poll.ignoringExceptions("p2 stops", Duration.ofSeconds(30), () -> p2.has("STOPPED"));
        Poll.ignoringExceptions("nothing is in doubt", Duration.ofSeconds(30), () -> preparedAll().isEmpty());
        long committed = (long) p1.ok() + p2.ok() + 1; // p1's halted transfer was decided COMMIT
        verify(committed, committed);
    }

    /**
     * Every node dies (p1 halted between its markers, p2 and p3 killed with SIGKILL wherever they
     * were) and every acceptor directory is deleted: the tool finishes the 3PC transactions from
     * the pre-commit markers in the databases alone.
     */
    @Test
    void withEveryReplicaDeletedTheToolFinishes3pcTransactionsFromTheirMarkers() throws Exception {
        startCluster();
        Node p1 = start("p1", "transfer", CrashPoint.AFTER_SOME_MARKERS, "THREE_PHASE");
        Node p2 = start("p2", "transfer", null, "THREE_PHASE");
        Node p3 = start("p3", "transfer", null, "THREE_PHASE");
        assertThat(p1.process.waitFor(60, TimeUnit.SECONDS)).as("p1 halts%s", p1).isTrue();
        p2.process.destroyForcibly(); // before p1's lease lapses: nobody takes p1's transaction over
        p3.process.destroyForcibly();
        assertThat(p2.process.waitFor(10, TimeUnit.SECONDS) && p3.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(prepared("p1")).as("p1's transfer is still prepared").isNotEmpty();
        for (String id : List.of("p1", "p2", "p3")) {
            try (var files = Files.walk(dir.resolve(id))) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
        Map<String, String> environment = new java.util.HashMap<>();
        String databases = RealDbCrashRecoveryTest.toolConfig(dir, banks, WrappingStyle.DIALECT, environment)
                .lines().filter(l -> !l.startsWith("log.directory=")).collect(java.util.stream.Collectors.joining("\n"));
        Path config = dir.resolve("paxos-recovery.properties");
        Files.writeString(config, databases + "\npaxos.members=" + String.join(",", members)
                + "\npaxos.acceptor.directories=" + dir.resolve("p1") + "," + dir.resolve("p2") + "," + dir.resolve("p3")
                + "\npaxos.tombstone.retention=5m\n"); // the nodes' default tombstoneRetention

        RealDbCrashRecoveryTest.ToolRun scan = RealDbCrashRecoveryTest.ToolRun.of(dir, environment, "scan", "--config",
                config.toString());
        assertThat(scan.output()).as(scan.output()).contains("CANNOT BE READ").contains("Pre-commit markers");
        Poll.ignoringExceptions("resolve --assume-log-lost leaves nothing in doubt", Duration.ofSeconds(60), () -> {
            RealDbCrashRecoveryTest.ToolRun run = RealDbCrashRecoveryTest.ToolRun.of(dir, environment, "resolve",
                    "--config", config.toString(), "--yes", "--assume-log-lost=p1,p2,p3"); // every member's replica is gone
            if (run.exit() != 0) {
                throw new IllegalStateException("resolve exited " + run.exit() + ":\n" + run.output());
            }
            return true;
        });
        assertThat(preparedAll()).isEmpty();
        long acknowledged = (long) p1.ok() + p2.ok() + p3.ok();
        // p1's halted transfer has a marker: committed. p2's and p3's, caught by the kill, either way.
        verify(acknowledged + 1, acknowledged + 3);
    }

    @Test
    void aCoordinatorKilledWithSigkillAtARandomMomentIsTakenOverToo() throws Exception {
        startCluster();
        Node p1 = start("p1", "transfer", null);
        Node p2 = start("p2", "transfer", null);
        Node p3 = start("p3", "idle", null);
        Poll.ignoringExceptions("p1 and p2 commit", Duration.ofSeconds(30), () -> p1.ok() >= 20 && p2.ok() >= 5);
        p1.process.destroyForcibly(); // kill -9, wherever p1 is in its commit
        assertThat(p1.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        Poll.ignoringExceptions("p2 or p3 finish whatever p1 left prepared", Duration.ofMillis(LEASE_MILLIS).plusSeconds(10),
                () -> prepared("p1").isEmpty());
        p2.stop();
        Poll.ignoringExceptions("p2 stops", Duration.ofSeconds(30), () -> p2.has("STOPPED"));
        Poll.ignoringExceptions("nothing is in doubt", Duration.ofSeconds(30), () -> preparedAll().isEmpty());
        assertThat(p3.process.isAlive()).isTrue();
        // p1's last transfer, caught by the kill, may have committed or not; all else is exact.
        verify(p1.ok() + p2.ok(), p1.ok() + p2.ok() + 1);
    }

    @Test
    void commitsGoOnWithOneAcceptorKilledAndBlockWithoutAMajorityUntilItReturns() throws Exception {
        startCluster();
        Node p1 = start("p1", "transfer", null);
        start("p2", "idle", null);
        Node p3 = start("p3", "idle", null);
        Poll.ignoringExceptions("p1 commits", Duration.ofSeconds(30), () -> p1.ok() >= 5);

        p3.process.destroyForcibly(); // kill -9
        assertThat(p3.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        int afterOneKilled = p1.ok();
        Poll.ignoringExceptions("commits go on with one acceptor dead", Duration.ofSeconds(30), () -> p1.ok() >= afterOneKilled + 10);

        Node p2 = nodes.values().stream().filter(n -> n.id.equals("p2")).findFirst().orElseThrow();
        p2.process.destroyForcibly();
        assertThat(p2.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        int afterMajorityGone = p1.ok();
        int failedBefore = p1.inDoubt();
        Poll.ignoringExceptions("a commit without a majority ends in doubt", Duration.ofSeconds(30), () -> p1.inDoubt() > failedBefore);
        assertThat(p1.ok()).as("commits acknowledged without a majority (at most the one in flight at the kill)")
                .isLessThanOrEqualTo(afterMajorityGone + 1);
        int blocked = p1.ok();

        start("p2", "idle", null); // same data directory and port: the acceptor comes back with its state
        Poll.ignoringExceptions("commits resume once a majority is back", Duration.ofSeconds(60), () -> p1.ok() >= blocked + 5);
        p1.stop();
        Poll.ignoringExceptions("p1 stops", Duration.ofSeconds(30), () -> p1.has("STOPPED"));
        Poll.ignoringExceptions("p1 settles its in-doubt transactions and nothing stays prepared", Duration.ofSeconds(30),
                () -> preparedAll().isEmpty());
        verify(p1.ok(), p1.ok() + p1.inDoubt());
    }

    private void verify(long atLeast, long atMost) throws Exception {
        long total = 0;
        long initial = 0;
        long ops0 = banks.get(0).ops();
        for (Bank b : banks) {
            total += b.total();
            initial += b.initialTotal();
            assertThat(b.ops()).as("transfers kept by %s: the same in every database", b.name()).isEqualTo(ops0);
        }
        assertThat(ops0).as("committed transfers").isBetween(atLeast, atMost);
        assertThat(total).as("money is conserved").isEqualTo(initial);
    }

    private List<String> prepared(String node) throws Exception {
        List<String> found = new ArrayList<>();
        for (Bank b : banks) {
            found.addAll(b.preparedBranchesOf(node));
        }
        return found;
    }

    private List<String> preparedAll() throws Exception {
        List<String> all = new ArrayList<>();
        for (String id : List.of("p1", "p2", "p3")) {
            all.addAll(prepared(id));
        }
        return all;
    }

    /** A node's process and what it printed. */
    private record Node(String id, Process process, Path out) {
        String output() {
            try {
                return Files.readString(out, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }

        boolean has(String prefix) {
            return output().lines().anyMatch(l -> l.startsWith(prefix));
        }

        int ok() {
            return (int) output().lines().filter(l -> l.startsWith("OK ")).count();
        }

        int failed() {
            return (int) output().lines().filter(l -> l.startsWith("FAIL ")).count();
        }

        /** Commits that ended in doubt (their outcome is recovery's). */
        int inDoubt() {
            return (int) output().lines().filter(l -> l.startsWith("FAIL ") && l.contains("in doubt")).count();
        }

        void stop() throws IOException {
            OutputStream in = process.getOutputStream();
            in.write("STOP\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        @Override
        public String toString() {
            String text = output();
            return "\n  " + id + " output:\n" + (text.length() > 4000 ? "..." + text.substring(text.length() - 4000) : text);
        }
    }
}
