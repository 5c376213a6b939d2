package io.quorumtx.it.realdb;

import static io.quorumtx.it.support.WrappingStyle.DIALECT;
import static io.quorumtx.it.support.WrappingStyle.XA;
import static io.quorumtx.tm.testing.CrashPoint.AFTER_ALL_MARKERS;
import static io.quorumtx.tm.testing.CrashPoint.AFTER_ALL_PREPARED;
import static io.quorumtx.tm.testing.CrashPoint.AFTER_COMMIT_RECORD;
import static io.quorumtx.tm.testing.CrashPoint.AFTER_SOME_MARKERS;
import static io.quorumtx.tm.testing.CrashPoint.BETWEEN_PHASE2_COMMITS;
import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.it.realdb.RealDbCrashRecoveryTest.Child;
import io.quorumtx.it.realdb.RealDbCrashRecoveryTest.ToolRun;
import io.quorumtx.it.support.WrappingStyle;
import io.quorumtx.it.threephase.FileLedger;
import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.spi.ThreePhaseResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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

/**
 * Three-phase commit under real process death: a JVM moving money across H2, PostgreSQL, MariaDB
 * and a file ledger (a participant that is not a database) in one {@code THREE_PHASE} transaction
 * halts at each point of the 3PC path. Then either the application restarts with its commit log
 * (a new manager recovers), or every copy of the commit log is deleted and the operator runs
 * {@code quorumtx resolve}, which decides from the pre-commit markers alone: without
 * {@code --assume-log-lost} it only commits what a marker proves and changes nothing else; with
 * {@code --assume-log-lost=<the crashed node>}, that node's transactions without a marker anywhere
 * are rolled back.
 *
 * <p>Afterwards: nothing is prepared in any participant, money is conserved across all four,
 * every acknowledged transfer is in every participant, the crashed one is committed everywhere or
 * nowhere as its point and the recovery demand, and no pre-commit marker of the node is left.
 */
class ThreePhaseCrashRecoveryTest {
    static final String LEDGER = "ledger";
    private static final int ACCOUNTS = 5;
    private static final int HIT = 3;
    private static final String MARKER_TABLE = "quorumtx_precommit";

    enum Recoverer {
        /** The application restarts on its intact commit log. */
        NEW_MANAGER_WITH_LOG,
        /** The commit log directory is deleted; the operator runs the tool on the participants alone. */
        TOOL_AFTER_LOG_DELETED
    }

    static Stream<Arguments> crashes() {
        Stream<Arguments> cases = Stream.of(
                Arguments.of(DIALECT, AFTER_ALL_PREPARED, Recoverer.NEW_MANAGER_WITH_LOG, false),
                Arguments.of(XA, AFTER_COMMIT_RECORD, Recoverer.NEW_MANAGER_WITH_LOG, true),
                Arguments.of(DIALECT, AFTER_SOME_MARKERS, Recoverer.NEW_MANAGER_WITH_LOG, true),
                Arguments.of(XA, AFTER_ALL_MARKERS, Recoverer.NEW_MANAGER_WITH_LOG, true),
                Arguments.of(DIALECT, BETWEEN_PHASE2_COMMITS, Recoverer.NEW_MANAGER_WITH_LOG, true),
                // Decided COMMIT, but no marker was written and no branch committed: with the log
                // gone nothing proves the decision, and rolling back is consistent.
                Arguments.of(DIALECT, AFTER_COMMIT_RECORD, Recoverer.TOOL_AFTER_LOG_DELETED, false),
                Arguments.of(XA, AFTER_SOME_MARKERS, Recoverer.TOOL_AFTER_LOG_DELETED, true),
                Arguments.of(DIALECT, AFTER_ALL_MARKERS, Recoverer.TOOL_AFTER_LOG_DELETED, true),
                Arguments.of(XA, BETWEEN_PHASE2_COMMITS, Recoverer.TOOL_AFTER_LOG_DELETED, true));
        // With the log deleted, a halt after every prepare leaves the participants exactly as a
        // halt after the COMMIT record does (all prepared, no marker): the tool sees the same
        // state, so this case only adds the other style (suite time).
        Stream<Arguments> sameStateForTheTool = Setups.EVERY_COMBINATION
                ? Stream.of(Arguments.of(XA, AFTER_ALL_PREPARED, Recoverer.TOOL_AFTER_LOG_DELETED, false))
                : Stream.empty();
        return Stream.concat(cases, sameStateForTheTool);
    }

    @ParameterizedTest(name = "{0}: halt at {1}, recovered by {2}, crashed transfer committed: {3}")
    @MethodSource("crashes")
    void aCrashAnywhereIn3pcIsFinishedConsistentlyWithOrWithoutTheCommitLog(WrappingStyle style, CrashPoint point,
            Recoverer recoverer, boolean crashedTransferCommits, @TempDir Path dir) throws Exception {
        List<Bank> banks = Topology.MIXED.open(dir, ACCOUNTS);
        Path ledgerDir = dir.resolve("ledger");
        FileLedger ledger = new FileLedger(LEDGER, ledgerDir);
        String nodeId = "3pc-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            Child child = Child.run(dir, RealDbCrashRecoveryTest.javaCommand(RealDbCrashChild.class.getName(),
                    List.of("topology=" + Topology.MIXED, "style=" + style, "dir=" + dir.toAbsolutePath(),
                            "node=" + nodeId, "tables=" + String.join(",", banks.stream().map(Bank::table).toList()),
                            "accounts=" + ACCOUNTS, "point=" + point, "hit=" + hit(point, banks.size() + 1),
                            "ledger=" + ledgerDir)));
            assertThat(child.exit()).as("halted at the injection point%s", child).isEqualTo(RealDbCrashChild.CRASH_EXIT);
            assertThat(child.crashPoint()).as("where it halted%s", child).isEqualTo(point.name());
            assertThat(child.acknowledged()).as("transfers acknowledged before the crash%s", child).isPositive();
            String crashed = crashedGtrid(child);
            assertThat(inDoubt(banks, ledger, nodeId)).as("branches in doubt right after the crash%s", child).isNotEmpty();
            assertThat(markedIn(banks, ledger, crashed)).as("participants holding a marker of the crashed transfer")
                    .hasSize(switch (point) {
                        case AFTER_ALL_PREPARED, AFTER_COMMIT_RECORD -> 0;
                        case AFTER_SOME_MARKERS -> 1;
                        default -> banks.size() + 1;
                    });

            if (recoverer == Recoverer.NEW_MANAGER_WITH_LOG) {
                recoverWithNewManager(dir, banks, ledger, nodeId, style);
            } else {
                deleteRecursively(dir.resolve("tx-log"));
                recoverWithToolFromMarkers(dir, banks, ledger, nodeId, style, crashed, crashedTransferCommits);
            }

            assertThat(inDoubt(banks, ledger, nodeId)).as("branches in doubt after recovery").isEmpty();
            int expected = child.acknowledged() + (crashedTransferCommits ? 1 : 0);
            long total = ledger.balance();
            long initial = 0;
            for (Bank b : banks) {
                total += b.total();
                initial += b.initialTotal();
                assertThat(b.ops()).as("transfers committed in %s%s", b.name(), child).isEqualTo(expected);
            }
            assertThat(ledger.committedCount()).as("transfers committed in the ledger%s", child).isEqualTo(expected);
            assertThat(ledger.committed(crashed)).as("the crashed transfer in the ledger").isEqualTo(crashedTransferCommits);
            assertThat(total).as("money across H2, PostgreSQL, MariaDB and the ledger").isEqualTo(initial);
            assertThat(markersOf(banks, ledger, nodeId)).as("pre-commit markers left once every transaction finished")
                    .isEmpty();
        } finally {
            for (Bank b : banks) {
                deleteMarkers(b, nodeId);
                b.cleanUp(nodeId);
            }
        }
    }

    private static void recoverWithNewManager(Path dir, List<Bank> banks, FileLedger ledger, String nodeId,
            WrappingStyle style) throws Exception {
        try (RealDbCluster restarted = RealDbCluster.attach(banks, nodeId, dir.resolve("tx-log"), style, 2,
                b -> b.recoveryInterval(Duration.ofHours(1)).recoverySafetyInterval(Duration.ofMillis(1)))) {
            restarted.tm().registerResource(new ThreePhaseResource(ledger));
            Object[] last = new Object[1];
            try {
                Poll.ignoringExceptions("recovery finishes every branch of the crashed node", Duration.ofSeconds(30), () -> {
                    var report = restarted.tm().recover();
                    last[0] = report.steps().stream().map(r -> r.step().branch() + " " + r.step().action() + " "
                            + r.outcome() + " " + r.detail() + " (" + r.step().reason() + ")").toList();
                    return report.nothingInDoubt() && inDoubt(banks, ledger, nodeId).isEmpty()
                            && markersOf(banks, ledger, nodeId).isEmpty();
                });
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; still in doubt: " + inDoubt(banks, ledger, nodeId)
                        + "; markers: " + markersOf(banks, ledger, nodeId) + "; last recovery: " + last[0], e);
            }
            assertThat(restarted.tm().heuristicOutcomes()).as("heuristic outcomes").isEmpty();
        }
    }

    private static void recoverWithToolFromMarkers(Path dir, List<Bank> banks, FileLedger ledger, String nodeId,
            WrappingStyle style, String crashed, boolean proven) throws Exception {
        Map<String, String> environment = new HashMap<>();
        Path config = dir.resolve("recovery.properties");
        Files.writeString(config, RealDbCrashRecoveryTest.toolConfig(dir, banks, style, environment)
                + "participant." + LEDGER + ".class=" + FileLedger.class.getName() + "\n"
                + "participant." + LEDGER + ".directory=" + RealDbCrashRecoveryTest.escape(
                        dir.resolve("ledger").toAbsolutePath().toString()) + "\n");

        ToolRun scan = ToolRun.of(dir, environment, "scan", "--config", config.toString());
        assertThat(scan.output()).as("scan without the log").contains("CANNOT BE READ").contains(crashed);
        if (proven) {
            assertThat(scan.output()).as("scan shows the markers").contains("Pre-commit markers").contains("[3PC]");
        }

        List<String> before = inDoubt(banks, ledger, nodeId);
        if (!proven) {
            // Without the operator's word, nothing unproven is touched.
            // (Until MariaDB releases the dead session's branch, resolve stops earlier: database unreachable.)
            Poll.ignoringExceptions("resolve without --assume-log-lost explains why it needs it", Duration.ofSeconds(60), () -> {
                ToolRun refused = ToolRun.of(dir, environment, "resolve", "--config", config.toString(), "--yes");
                assertThat(refused.exit()).as(refused.output()).isEqualTo(2);
                assertThat(inDoubt(banks, ledger, nodeId)).as("branches left without --assume-log-lost")
                        .containsExactlyInAnyOrderElementsOf(before);
                return refused.output().contains("--assume-log-lost") && refused.output().contains("nothing was changed");
            });
        }
        List<String> args = new ArrayList<>(List.of("resolve", "--config", config.toString(), "--yes"));
        if (!proven) {
            args.add("--assume-log-lost=" + nodeId); // the crashed node's log is the one deleted
        }
        // A MariaDB branch of the dead session may be held for a moment: the operator runs it again.
        Poll.ignoringExceptions("quorumtx resolve exits 0 (nothing in doubt)", Duration.ofSeconds(60), () -> {
            ToolRun run = ToolRun.of(dir, environment, args.toArray(String[]::new));
            if (run.exit() != 0) {
                throw new IllegalStateException("quorumtx resolve exited " + run.exit() + ":\n" + run.output());
            }
            return true;
        });
    }

    /**
     * Which time the point is reached: in the third transfer, so two acknowledged ones precede it.
     * Between phase-3 commits is reached once per branch after the first, so after the second commit.
     */
    private static int hit(CrashPoint point, int participants) {
        return point == BETWEEN_PHASE2_COMMITS ? 2 * (participants - 1) + 2 : HIT;
    }

    @SuppressWarnings("StringSplitter") // parses the child's own line-oriented output; dropping trailing empty parts is intended
    private static String crashedGtrid(Child child) {
        for (String line : child.output().split("\n")) {
            if (line.startsWith("CRASH ")) {
                return line.split(" ")[2].trim();
            }
        }
        throw new AssertionError("no CRASH line" + child);
    }

    /** Prepared branches of the node in every participant, described. */
    static List<String> inDoubt(List<Bank> banks, FileLedger ledger, String nodeId) throws Exception {
        List<String> found = new ArrayList<>();
        for (Bank b : banks) {
            found.addAll(b.preparedBranchesOf(nodeId));
        }
        for (String gtrid : ledger.prepared()) {
            if (gtrid.startsWith(nodeId + ".")) {
                found.add(LEDGER + ":" + gtrid);
            }
        }
        return found;
    }

    /** The participants that hold a marker of {@code gtrid}. */
    private static List<String> markedIn(List<Bank> banks, FileLedger ledger, String gtrid) throws Exception {
        List<String> names = new ArrayList<>();
        for (Bank b : banks) {
            if (markers(b, gtrid).contains(gtrid)) {
                names.add(b.name());
            }
        }
        if (ledger.markers().stream().anyMatch(m -> m.gtrid().equals(gtrid))) {
            names.add(LEDGER);
        }
        return names;
    }

    /** Every marker of the node in every participant. */
    static List<String> markersOf(List<Bank> banks, FileLedger ledger, String nodeId) throws Exception {
        List<String> found = new ArrayList<>();
        for (Bank b : banks) {
            markers(b, nodeId + ".%").forEach(g -> found.add(b.name() + ":" + g));
        }
        ledger.markers().stream().filter(m -> m.gtrid().startsWith(nodeId + "."))
                .forEach(m -> found.add(LEDGER + ":" + m.gtrid()));
        return found;
    }

    private static List<String> markers(Bank b, String like) throws Exception {
        List<String> gtrids = new ArrayList<>();
        try (Connection c = b.plainDataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT gtrid FROM " + MARKER_TABLE + " WHERE gtrid LIKE ?")) {
            ps.setString(1, like);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    gtrids.add(rs.getString(1));
                }
            }
        }
        return gtrids;
    }

    private static void deleteMarkers(Bank b, String nodeId) {
        try (Connection c = b.plainDataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM " + MARKER_TABLE + " WHERE gtrid LIKE ?")) {
            ps.setString(1, nodeId + ".%");
            ps.executeUpdate();
        } catch (Exception e) {
            // The table may not exist (the child died before the first marker): nothing to clean.
        }
    }

    private static void deleteRecursively(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        assertThat(dir).doesNotExist();
    }
}
