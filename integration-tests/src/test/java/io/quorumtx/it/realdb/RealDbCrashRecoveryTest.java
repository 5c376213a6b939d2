package io.quorumtx.it.realdb;

import static io.quorumtx.it.support.WrappingStyle.DIALECT;
import static io.quorumtx.it.support.WrappingStyle.XA;
import static io.quorumtx.tm.testing.CrashPoint.AFTER_ALL_PREPARED;
import static io.quorumtx.tm.testing.CrashPoint.AFTER_COMMIT_RECORD;
import static io.quorumtx.tm.testing.CrashPoint.AFTER_SOME_PREPARED;
import static io.quorumtx.tm.testing.CrashPoint.BETWEEN_PHASE2_COMMITS;
import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.quorumtx.it.support.WrappingStyle;
import io.quorumtx.tm.testing.CrashPoint;

/**
 * A real JVM moving money across PostgreSQL, MariaDB, or H2 + PostgreSQL + MariaDB halts at a
 * named point of the commit path; a restarted manager (same node id, same log, same resource
 * names) or the recovery tool as a separate process then finishes its transactions. Afterwards no branch of the crashed node is prepared
 * anywhere (pg_prepared_xacts, XA RECOVER, IN_DOUBT), the total is conserved, every acknowledged
 * transfer is in every database, and the transfer caught in the crash is committed everywhere or
 * nowhere, as its point demands: before the commit record, presumed abort; after it, commit.
 *
 * <p>Each topology meets both wrapping styles and both recoverers, a crashed transfer that commits
 * (halted between the phase-2 commits, recovered by the tool through the drivers' XADataSources)
 * and one that rolls back (halted after every prepare, recovered by a restarted manager through
 * QuorumTX's dialects). The mixed topology, which holds all three databases, meets the whole
 * matrix: all four points, two per wrapping style, with a restarted manager, and one more per style
 * with the tool; the single-server topologies do too with
 * {@code -Dquorumtx.realdb.everyCombination=true}. The child runs one transfer at a
 * time, so the number of committed transfers is known exactly. Follows the H2 crash tests of
 * {@code io.quorumtx.it.crash} (same line protocol, same verdict), on a harness small enough to
 * run the child with real databases.
 */
class RealDbCrashRecoveryTest {
    private static final int ACCOUNTS = 5;
    /** The third time the point is reached: earlier transfers have committed, so there is history to keep. */
    private static final int HIT = 3;

    /** Who finishes the crashed node's transactions. */
    enum Recoverer {
        /** The application restarts: a new manager with the same node id, log and resource names runs recover(). */
        NEW_MANAGER,
        /** The operator runs {@code quorumtx resolve --config <file> --yes} in its own JVM; passwords by environment variable. */
        TOOL
    }

    static Stream<Arguments> crashes() {
        return Topology.everyTestsOwn().stream().flatMap(t -> {
            Stream<Arguments> each = Stream.of(
                    // Both styles, both recoverers, a crashed transfer that commits and one that rolls back.
                    Arguments.of(t, XA, BETWEEN_PHASE2_COMMITS, true, Recoverer.TOOL),
                    Arguments.of(t, DIALECT, AFTER_ALL_PREPARED, false, Recoverer.NEW_MANAGER));
            // The rest of the matrix on the mixed topology, which holds all three databases; on the
            // single-server ones too with -Dquorumtx.realdb.everyCombination=true (suite time).
            Stream<Arguments> rest = t == Topology.MIXED || Setups.EVERY_COMBINATION ? Stream.of(
                    Arguments.of(t, XA, AFTER_SOME_PREPARED, false, Recoverer.NEW_MANAGER),
                    Arguments.of(t, XA, AFTER_COMMIT_RECORD, true, Recoverer.NEW_MANAGER),
                    Arguments.of(t, DIALECT, BETWEEN_PHASE2_COMMITS, true, Recoverer.NEW_MANAGER),
                    Arguments.of(t, DIALECT, AFTER_SOME_PREPARED, false, Recoverer.TOOL)) : Stream.empty();
            return Stream.concat(each, rest);
        });
    }

    @ParameterizedTest(name = "{0} {1}: halt at {2}, crashed transfer committed everywhere: {3}, recovered by {4}")
    @MethodSource("crashes")
    void aCrashInsideCommitIsFinishedTheSameWayInEveryDatabaseByRecovery(Topology topology, WrappingStyle style,
            CrashPoint point, boolean crashedTransferCommits, Recoverer recoverer, @TempDir Path dir)
            throws Exception {
        List<Bank> banks = topology.open(dir, ACCOUNTS);
        String nodeId = "rdbc-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            Child child = Child.run(dir, topology, style, banks, nodeId, point);
            assertThat(child.exit()).as("exit %d: halted at the injection point%s", RealDbCrashChild.CRASH_EXIT,
                    child).isEqualTo(RealDbCrashChild.CRASH_EXIT);
            assertThat(child.crashPoint()).as("where it halted%s", child).isEqualTo(point.name());
            assertThat(child.acknowledged()).as("transfers acknowledged before the crash%s", child).isPositive();
            assertThat(preparedBranches(banks, nodeId)).as("branches in doubt right after the crash%s", child)
                    .isNotEmpty();

            if (recoverer == Recoverer.NEW_MANAGER) {
                recoverWithNewManager(dir, banks, nodeId, style);
            } else {
                recoverWithTool(dir, banks, style);
            }
            assertThat(preparedBranches(banks, nodeId)).as("branches in doubt after recovery").isEmpty();

            long total = 0;
            long initial = 0;
            for (Bank b : banks) {
                total += b.total();
                initial += b.initialTotal();
                assertThat(b.ops()).as("transfers committed in %s (acknowledged ones, plus the crashed one if it"
                                + " commits)%s", b.name(), child)
                        .isEqualTo(child.acknowledged() + (crashedTransferCommits ? 1 : 0));
            }
            assertThat(total).as("total across the databases").isEqualTo(initial);
            assertThat(preparedBranches(banks, nodeId)).isEmpty();
        } finally {
            for (Bank b : banks) {
                b.cleanUp(nodeId);
            }
        }
    }

    static void recoverWithNewManager(Path dir, List<Bank> banks, String nodeId, WrappingStyle style)
            throws Exception {
        try (RealDbCluster restarted = RealDbCluster.attach(banks, nodeId, dir.resolve("tx-log"), style, 2,
                b -> b.recoveryInterval(Duration.ofHours(1))
                        // The crashed incarnation can no longer decide anything: no need to wait for it.
                        .recoverySafetyInterval(Duration.ofMillis(1)))) {
            // A dead session's prepared MariaDB branch is released once the server notices the
            // disconnect; until then recovery reports it unreachable and a later pass finishes it.
            Poll.ignoringExceptions("recovery finishes every branch of the crashed node", Duration.ofSeconds(30),
                    () -> restarted.tm().recover().nothingInDoubt() && restarted.preparedBranches().isEmpty());
            assertThat(restarted.tm().heuristicOutcomes()).as("heuristic outcomes").isEmpty();
        }
    }

    /**
     * The tool reaches each database the way the application did (the driver's XADataSource or
     * the dialect), as the same user; a password comes from an environment variable the
     * configuration names, never from the file.
     */
    private static void recoverWithTool(Path dir, List<Bank> banks, WrappingStyle style) throws Exception {
        Map<String, String> environment = new HashMap<>();
        Path file = dir.resolve("recovery.properties");
        Files.writeString(file, toolConfig(dir, banks, style, environment));
        // Exit 0: nothing in doubt. A MariaDB branch of the dead session may still be held for a
        // moment (exit 1 or 2, the branch reported left or unreachable): the operator runs it again.
        Poll.ignoringExceptions("quorumtx resolve exits 0 (nothing in doubt)", Duration.ofSeconds(60), () -> {
            ToolRun run = ToolRun.of(dir, environment, "resolve", "--config", file.toString(), "--yes");
            if (run.exit() != 0) {
                throw new IllegalStateException("quorumtx resolve exited " + run.exit() + ":\n" + run.output());
            }
            return true;
        });
    }

    /**
     * The recovery tool's configuration for {@code banks} with the log in {@code dir/tx-log}; the
     * passwords go into {@code environment} under the variables the configuration names.
     */
    static String toolConfig(Path dir, List<Bank> banks, WrappingStyle style, Map<String, String> environment) {
        StringBuilder config = new StringBuilder("log.directory=")
                .append(escape(dir.resolve("tx-log").toAbsolutePath().toString())).append('\n');
        for (int i = 0; i < banks.size(); i++) {
            Bank b = banks.get(i);
            String prefix = "database." + b.name() + ".";
            config.append(prefix).append("url=").append(escape(b.url())).append('\n');
            config.append(prefix).append("user=").append(b.user()).append('\n');
            if (!b.password().isEmpty()) {
                String variable = "QTX_RDB_PASSWORD_" + i;
                environment.put(variable, b.password());
                config.append(prefix).append("password.env=").append(variable).append('\n');
            }
            config.append(prefix).append(style == XA ? "xa-data-source=" + b.xaDataSourceClass()
                    : "dialect=" + b.dialect().name()).append('\n');
        }
        return config.toString();
    }

    /** One run of {@code quorumtx} in its own JVM: its exit status and what it printed. */
    record ToolRun(int exit, String output) {
        static ToolRun of(Path dir, Map<String, String> environment, String... args) throws Exception {
            Path out = dir.resolve("tool.out");
            ProcessBuilder builder = new ProcessBuilder(javaCommand("io.quorumtx.recovery.QuorumTxCli", List.of(args)))
                    .redirectErrorStream(true).redirectOutput(out.toFile());
            builder.environment().putAll(environment);
            Process process = builder.start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("quorumtx " + args[0] + " did not finish within 60 s:\n" + Files.readString(out));
            }
            return new ToolRun(process.exitValue(), Files.readString(out));
        }
    }

    static String escape(String value) {
        return value.replace("\\", "\\\\"); // java.util.Properties reads backslashes as escapes
    }

    /** {@code java -cp <this JVM's class path> mainClass args}, a small JVM as in the H2 crash tests. */
    static List<String> javaCommand(String mainClass, List<String> args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(args);
        return command;
    }

    static List<String> preparedBranches(List<Bank> banks, String nodeId) throws Exception {
        List<String> found = new ArrayList<>();
        for (Bank b : banks) {
            found.addAll(b.preparedBranchesOf(nodeId));
        }
        return found;
    }

    /** One finished child JVM: its exit status and what it said. */
    record Child(int exit, String crashPoint, int acknowledged, String output) {

        static Child run(Path dir, Topology topology, WrappingStyle style, List<Bank> banks, String nodeId,
                         CrashPoint point) throws IOException, InterruptedException {
            return run(dir, javaCommand(RealDbCrashChild.class.getName(), List.of(
                    "topology=" + topology, "style=" + style, "dir=" + dir.toAbsolutePath(), "node=" + nodeId,
                    "tables=" + String.join(",", banks.stream().map(Bank::table).toList()),
                    "accounts=" + ACCOUNTS, "point=" + point, "hit=" + HIT)));
        }

        /** Runs a child speaking the crash line protocol until it exits (at most 90 s). */
        @SuppressWarnings("StringSplitter") // parses the child's own line-oriented output; dropping trailing empty parts is intended
        static Child run(Path dir, List<String> command) throws IOException, InterruptedException {
            Path out = dir.resolve("child.out");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                    .start();
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the child did not halt within 90 s:\n" + Files.readString(out));
            }
            String output = Files.readString(out);
            String crashPoint = null;
            int acknowledged = 0;
            for (String line : output.split("\n")) {
                String[] f = line.split(" ", 3);
                if (f[0].equals("OK") && f.length == 3 && f[2].equals(".")) {
                    acknowledged++;
                } else if (f[0].equals("CRASH") && f.length == 3) {
                    crashPoint = f[1];
                }
            }
            return new Child(process.exitValue(), crashPoint, acknowledged, output);
        }

        @Override
        public String toString() {
            String tail = output.length() > 4000 ? "..." + output.substring(output.length() - 4000) : output;
            return "\n  child output:\n" + tail;
        }
    }
}
