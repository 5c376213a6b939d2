package io.quorumtx.it.realdb;

import static io.quorumtx.it.support.WrappingStyle.DIALECT;
import static io.quorumtx.it.support.WrappingStyle.XA;
import static io.quorumtx.tm.testing.CrashPoint.AFTER_DECISION_BRANCH_COMMIT;
import static io.quorumtx.tm.testing.CrashPoint.AFTER_SOME_PREPARED;
import static io.quorumtx.tm.testing.CrashPoint.BEFORE_DECISION_BRANCH_COMMIT;
import static io.quorumtx.tm.testing.CrashPoint.BETWEEN_PHASE2_COMMITS;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.quorumtx.it.realdb.RealDbCrashRecoveryTest.Child;
import io.quorumtx.it.realdb.RealDbCrashRecoveryTest.ToolRun;
import io.quorumtx.it.support.WrappingStyle;
import io.quorumtx.jdbc.dblog.DatabaseCommitLog;
import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.testing.CrashPoint;

/**
 * Real process death on the database commit log's path: a child JVM (node id N, no local disk)
 * moves money across three databases, the first carrying the decision, and halts at a point of
 * the new path. Its working directory is then deleted, and its transactions are finished either
 * by a manager with ANOTHER node id and nothing on disk, or by {@code quorumtx resolve} configured
 * with {@code log.type=database}. Afterwards no branch of N is prepared anywhere, the total is
 * conserved, and the transfer caught in the crash is in every database or in none: before the
 * decision branch's one-phase commit, rolled back (after an ABORT row); after it, committed.
 *
 * <p>Each database meets both sides of the decision branch's commit, both recoverers and both
 * wrapping styles (before the commit through the dialect, recovered by another node; after it
 * through the driver's XADataSource, recovered by the tool); H2 also the other pairings of side,
 * style and recoverer, and the other branches' points (between their phase-2 commits, after some
 * prepared), which PostgreSQL and MariaDB meet with {@code -Dquorumtx.dblog.allCrashPoints=true}:
 * each case is a child JVM and a lease lapse, and the suite must stay short.
 */
class DbLogCrashRecoveryTest {
    private static final int ACCOUNTS = 4;
    /** The second time the point is reached: one transfer committed before, so there is history to keep. */
    private static final int HIT = 2;
    /** The crashed node's lease: short, so the recovering side need not wait long to see it gone. */
    private static final long LEASE_MILLIS = 1_000;

    enum Recoverer { OTHER_NODE, TOOL }

    /**
     * {@code -Dquorumtx.dblog.allCrashPoints=true}: on PostgreSQL and MariaDB too, every pairing of
     * the decision branch's side, style and recoverer, and the two other-branch points.
     */
    private static final boolean ALL_POINTS = Boolean.getBoolean("quorumtx.dblog.allCrashPoints");

    static Stream<Arguments> crashes() {
        return Stream.of(DbLogTopology.values()).flatMap(t -> {
            // Both sides of the decision branch's commit, both styles and both recoverers on every
            // database; the other pairings too on H2, on the servers only when asked (suite time).
            Stream<Arguments> decisionBranch = Stream.of(
                    Arguments.of(t, DIALECT, BEFORE_DECISION_BRANCH_COMMIT, false, Recoverer.OTHER_NODE),
                    Arguments.of(t, XA, AFTER_DECISION_BRANCH_COMMIT, true, Recoverer.TOOL));
            Stream<Arguments> otherPairings = t == DbLogTopology.H2 || ALL_POINTS ? Stream.of(
                    Arguments.of(t, XA, BEFORE_DECISION_BRANCH_COMMIT, false, Recoverer.TOOL),
                    Arguments.of(t, XA, AFTER_DECISION_BRANCH_COMMIT, true, Recoverer.OTHER_NODE),
                    Arguments.of(t, DIALECT, AFTER_DECISION_BRANCH_COMMIT, true, Recoverer.TOOL)) : Stream.empty();
            // The other branches' points: always on H2, on the servers only when asked (suite time).
            Stream<Arguments> others = t == DbLogTopology.H2 || ALL_POINTS ? Stream.of(
                    Arguments.of(t, DIALECT, BETWEEN_PHASE2_COMMITS, true, Recoverer.OTHER_NODE),
                    Arguments.of(t, XA, AFTER_SOME_PREPARED, false, Recoverer.OTHER_NODE)) : Stream.empty();
            return Stream.concat(Stream.concat(decisionBranch, otherPairings), others);
        });
    }

    @ParameterizedTest(name = "{0} {1}: halt at {2}, crashed transfer committed everywhere: {3}, recovered by {4}")
    @MethodSource("crashes")
    void aCrashOnTheDatabaseLogPathIsFinishedTheSameWayEverywhereByAnotherNodeOrTheTool(DbLogTopology topology,
            WrappingStyle style, CrashPoint point, boolean crashedTransferCommits, Recoverer recoverer,
            @TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        List<Bank> banks = topology.open(data, ACCOUNTS, null);
        String nodeId = "dbc-" + UUID.randomUUID().toString().substring(0, 8);
        String prefix = DbLogTopology.newPrefix();
        try {
            Path work = Files.createDirectories(dir.resolve("node-work"));
            Child child = Child.run(work, childCommand(topology, style, banks, data, nodeId, point, prefix));
            assertThat(child.exit()).as("halted at the injection point%s", child).isEqualTo(RealDbCrashChild.CRASH_EXIT);
            assertThat(child.crashPoint()).as("where it halted%s", child).isEqualTo(point.name());
            assertThat(child.acknowledged()).as("transfers acknowledged before the crash%s", child).isEqualTo(HIT - 1);
            assertThat(RealDbCrashRecoveryTest.preparedBranches(banks, nodeId)).as("in doubt after the crash%s", child)
                    .isNotEmpty();
            deleteRecursively(work);
            assertThat(work).as("the crashed node's working directory is gone").doesNotExist();

            if (recoverer == Recoverer.OTHER_NODE) {
                recoverWithAnotherNode(banks, nodeId, style, prefix);
            } else {
                recoverWithTool(dir, banks, style, nodeId, prefix);
            }

            assertThat(RealDbCrashRecoveryTest.preparedBranches(banks, nodeId)).as("in doubt after recovery").isEmpty();
            long total = 0;
            long initial = 0;
            for (Bank b : banks) {
                total += b.total();
                initial += b.initialTotal();
                assertThat(b.ops()).as("transfers committed in %s%s", b.name(), child)
                        .isEqualTo(child.acknowledged() + (crashedTransferCommits ? 1 : 0));
            }
            assertThat(total).as("total across the databases").isEqualTo(initial);
        } finally {
            for (Bank b : banks) {
                b.cleanUp(nodeId);
            }
            DbLogTopology.dropLogTables(banks.get(0), prefix);
        }
    }

    private static List<String> childCommand(DbLogTopology topology, WrappingStyle style, List<Bank> banks, Path data,
            String nodeId, CrashPoint point, String prefix) {
        return RealDbCrashRecoveryTest.javaCommand(DbLogCrashChild.class.getName(), List.of("topology=" + topology,
                "style=" + style, "data=" + data.toAbsolutePath(), "node=" + nodeId,
                "tables=" + String.join(",", banks.stream().map(Bank::table).toList()), "accounts=" + ACCOUNTS,
                "point=" + point, "hit=" + HIT, "prefix=" + prefix, "lease=" + LEASE_MILLIS));
    }

    /** A manager with another node id and no directory at all finishes the crashed node's work. */
    static void recoverWithAnotherNode(List<Bank> banks, String crashed, WrappingStyle style, String prefix)
            throws Exception {
        List<AutoCloseable> pools = new ArrayList<>();
        DatabaseCommitLog log = DbLogTopology.log(banks.get(0), prefix, Duration.ofSeconds(30), pools);
        String other = "rec-" + UUID.randomUUID().toString().substring(0, 8);
        try (RealDbCluster restarted = RealDbCluster.attach(banks, other, null, style, 2,
                b -> b.commitLog(log).recoveryInterval(Duration.ofHours(1)))) {
            // The crashed incarnation is left alone until its lease (1 s, by the database's clock) lapses.
            Poll.ignoringExceptions("node " + other + " finishes every branch of crashed node " + crashed,
                    Duration.ofSeconds(60), () -> {
                        restarted.tm().recover();
                        return RealDbCrashRecoveryTest.preparedBranches(banks, crashed).isEmpty();
                    });
            assertThat(restarted.tm().heuristicOutcomes()).as("heuristic outcomes").isEmpty();
        } finally {
            for (AutoCloseable pool : pools) {
                pool.close();
            }
        }
    }

    /** {@code quorumtx resolve} in its own JVM, the log named by {@code log.type=database}. */
    private static void recoverWithTool(Path dir, List<Bank> banks, WrappingStyle style, String crashed, String prefix)
            throws Exception {
        Map<String, String> environment = new HashMap<>();
        StringBuilder config = new StringBuilder(RealDbCrashRecoveryTest.toolConfig(dir, banks, style, environment)
                .replaceFirst("log\\.directory=[^\n]*\n", ""));
        Bank carrier = banks.get(0);
        config.append("log.type=database\nlog.url=").append(RealDbCrashRecoveryTest.escape(carrier.url()))
                .append("\nlog.user=").append(carrier.user()).append("\nlog.dialect=").append(carrier.dialect().name())
                .append("\nlog.table-prefix=").append(prefix).append('\n');
        if (!carrier.password().isEmpty()) {
            environment.put("QTX_LOG_PASSWORD", carrier.password());
            config.append("log.password.env=QTX_LOG_PASSWORD\n");
        }
        Path file = dir.resolve("recovery.properties");
        Files.writeString(file, config);
        awaitLeaseLapsed(carrier, prefix, crashed); // else the tool (rightly) leaves the branches: one JVM per try
        // Exit 1 while the crashed node's lease has not lapsed yet (its branches left): run it again.
        Poll.ignoringExceptions("quorumtx resolve finishes every branch of " + crashed, Duration.ofSeconds(60), () -> {
            ToolRun run = ToolRun.of(dir, environment, "resolve", "--config", file.toString(), "--yes");
            if (run.exit() > 1) {
                throw new IllegalStateException("quorumtx resolve exited " + run.exit() + ":\n" + run.output());
            }
            if (!carrier.password().isEmpty()) {
                assertThat(run.output()).as("the password is never printed").doesNotContain(carrier.password());
            }
            return RealDbCrashRecoveryTest.preparedBranches(banks, crashed).isEmpty();
        });
    }

    /** Waits until the crashed node holds no live lease in the log (by the database's clock). */
    private static void awaitLeaseLapsed(Bank carrier, String prefix, String node) throws Exception {
        List<AutoCloseable> pools = new ArrayList<>();
        try {
            DatabaseCommitLog log = DbLogTopology.log(carrier, prefix, Duration.ofSeconds(30), pools);
            Poll.until("the lease of crashed node " + node + " lapses", Duration.ofSeconds(30),
                    () -> log.isOwnerLeaseLapsed(node));
            log.close();
        } finally {
            for (AutoCloseable pool : pools) {
                pool.close();
            }
        }
    }

    static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
