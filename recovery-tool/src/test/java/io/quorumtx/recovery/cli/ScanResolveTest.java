package io.quorumtx.recovery.cli;

import static io.quorumtx.recovery.testing.CliRun.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quorumtx.recovery.testing.CliRun.Result;
import io.quorumtx.recovery.testing.CrashedBranches;
import io.quorumtx.recovery.testing.LogFiles;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.LocalCommitLog;
import io.quorumtx.tm.log.LogInspection;
import io.quorumtx.tm.xid.QuorumXid;
import io.quorumtx.tm.xid.XidFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scan and resolve against real prepared H2 branches, left as a crashed node n1 leaves them:
 * {@code committed} has a logged COMMIT and is prepared in both banks; {@code undecided} is
 * prepared in both with no decision; {@code foreign} belongs to node n2 (alive as far as the
 * tool knows) and is prepared in bank-a.
 */
class ScanResolveTest {
    private static final String SECRET = "Zebra-Secret-4711";

    @TempDir
    Path dir;

    private Path logDir;
    private String urlA;
    private String urlB;
    private String committed;
    private String undecided;
    private String foreign;

    /** Keep both databases open for the whole test: reopening an H2 file database per connection is slow. */
    private final List<java.sql.Connection> keepOpen = new ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void closeDatabases() throws Exception {
        for (java.sql.Connection c : keepOpen) {
            c.close();
        }
    }

    @BeforeEach
    void crashedNode() throws Exception {
        logDir = Files.createDirectory(dir.resolve("txlog"));
        urlA = H2Bank.url(dir, "bank-a");
        urlB = H2Bank.url(dir, "bank-b");
        H2Bank.createAccounts(urlA, "sa", SECRET, 100, 100, 100);
        H2Bank.createAccounts(urlB, "sa", "", 100, 100, 100);
        keepOpen.add(java.sql.DriverManager.getConnection(urlA, "sa", SECRET));
        keepOpen.add(java.sql.DriverManager.getConnection(urlB, "sa", ""));
        XidFactory n1 = new XidFactory("n1");
        committed = n1.newGtrid();
        undecided = n1.newGtrid();
        foreign = new XidFactory("n2").newGtrid();
        CrashedBranches.prepare(urlA, "sa", SECRET, new QuorumXid(committed, "bank-a"), 1, -25);
        CrashedBranches.prepare(urlB, "sa", "", new QuorumXid(committed, "bank-b"), 1, 25);
        CrashedBranches.prepare(urlA, "sa", SECRET, new QuorumXid(undecided, "bank-a"), 2, -25);
        CrashedBranches.prepare(urlB, "sa", "", new QuorumXid(undecided, "bank-b"), 2, 25);
        CrashedBranches.prepare(urlA, "sa", SECRET, new QuorumXid(foreign, "bank-a"), 3, -10);
        try (LocalCommitLog log = LocalCommitLog.open(logDir)) {
            log.logCommit(new CommitRecord(committed, List.of(new BranchRecord("bank-a", "bank-a"),
                    new BranchRecord("bank-b", "bank-b")), System.currentTimeMillis()));
        }
    }

    private Path config(String... extra) throws Exception {
        List<String> lines = new ArrayList<>(List.of("log.directory=" + logDir, "node.id=n1",
                "database.bank-a.url=" + urlA, "database.bank-a.user=sa", "database.bank-a.password.env=BANK_A_PW",
                "database.bank-a.dialect=h2",
                "database.bank-b.url=" + urlB, "database.bank-b.user=sa",
                "database.bank-b.xa-data-source=org.h2.jdbcx.JdbcDataSource"));
        lines.addAll(List.of(extra));
        Path file = dir.resolve("recovery.properties");
        Files.write(file, lines);
        return file;
    }

    private Result run(String... args) {
        return cli().env("BANK_A_PW", SECRET).run(args);
    }

    /** Account 1 of bank-a (the committed transaction's row; 2 is the undecided one's, 3 the foreign one's). */
    private long balanceA() throws Exception {
        return balanceA(1);
    }

    private long balanceA(int id) throws Exception {
        return H2Bank.balance(urlA, "sa", SECRET, id);
    }

    private long balanceB() throws Exception {
        return balanceB(1);
    }

    private long balanceB(int id) throws Exception {
        return H2Bank.balance(urlB, id);
    }

    private long inDoubtA() throws Exception {
        return H2Bank.inDoubt(urlA, "sa", SECRET);
    }

    private long inDoubtB() throws Exception {
        return H2Bank.inDoubt(urlB);
    }

    @Test
    void scanListsEveryBranchWithItsDecisionAndPlanAndChangesNothing() throws Exception {
        Path config = config();
        Map<String, String> logBefore = LogFiles.snapshot(logDir);

        Result r = run("scan", "--config", config.toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(r.out()).contains("bank-a", "answered, 3 in doubt").contains("answered, 2 in doubt")
                .containsPattern("bank-a\\s+" + committed.replace(".", "\\.") + "\\s+bank-a\\s+n1\\s+\\S+\\s+COMMIT\\s+COMMIT")
                .containsPattern(undecided.replace(".", "\\.") + "\\s+bank-b\\s+n1\\s+\\S+\\s+UNKNOWN\\s+ROLLBACK")
                .containsPattern(foreign.replace(".", "\\.") + "\\s+bank-a\\s+n2\\s+\\S+\\s+UNKNOWN\\s+LEAVE");
        assertThat(inDoubtA()).isEqualTo(3);
        assertThat(inDoubtB()).isEqualTo(2);
        assertThat(balanceA()).isEqualTo(100);
        assertThat(LogFiles.snapshot(logDir)).isEqualTo(logBefore);
    }

    @Test
    void scanAsJsonGivesEveryBranchAndDatabase() throws Exception {
        Result r = run("scan", "--config", config().toString(), "--json");

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.IN_DOUBT);
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("command").asText()).isEqualTo("scan");
        assertThat(json.get("nodeId").asText()).isEqualTo("n1");
        assertThat(json.get("databases")).extracting(d -> d.get("name").asText() + ":" + d.get("answered").asBoolean()
                + ":" + d.get("inDoubt").asInt()).containsExactly("bank-a:true:3", "bank-b:true:2");
        assertThat(json.get("branches")).hasSize(5);
        assertThat(json.get("branches")).filteredOn(b -> b.get("gtrid").asText().equals(committed))
                .extracting(b -> b.get("loggedDecision").asText() + "/" + b.get("action").asText())
                .containsOnly("COMMIT/COMMIT");
        assertThat(json.get("branches")).filteredOn(b -> b.get("gtrid").asText().equals(foreign))
                .extracting(b -> b.get("ownerNode").asText() + "/" + b.get("action").asText() + "/"
                        + b.get("branchQualifier").asText()).containsOnly("n2/LEAVE/bank-a");
        assertThat(json.get("exitCode").asInt()).isEqualTo(1);
    }

    @Test
    void dryRunPrintsThePlanAndChangesNothing() throws Exception {
        Map<String, String> logBefore = LogFiles.snapshot(logDir);

        Result r = run("resolve", "--config", config().toString(), "--dry-run");

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(r.out()).contains("dry run").contains(committed).contains("PLANNED");
        assertThat(inDoubtA()).isEqualTo(3);
        assertThat(inDoubtB()).isEqualTo(2);
        assertThat(balanceA()).isEqualTo(100);
        assertThat(balanceB()).isEqualTo(100);
        assertThat(LogFiles.snapshot(logDir)).isEqualTo(logBefore);
    }

    @Test
    void resolveCommitsTheDecidedRollsBackTheUndecidedAndLeavesAnotherNodes() throws Exception {
        Result r = run("resolve", "--config", config().toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.IN_DOUBT); // n2's branch is left
        assertThat(balanceA()).isEqualTo(75);
        assertThat(balanceB()).isEqualTo(125);
        assertThat(balanceA(2)).isEqualTo(100);
        assertThat(balanceB(2)).isEqualTo(100);
        assertThat(balanceA(3)).isEqualTo(100);
        assertThat(inDoubtA()).isEqualTo(1);
        assertThat(inDoubtB()).isZero();
        assertThat(LogInspection.read(logDir).unfinished()).as("END written").isEmpty();

        Result again = run("resolve", "--config", config().toString(), "--json");
        JsonNode json = new ObjectMapper().readTree(again.out());
        assertThat(json.get("steps")).extracting(s -> s.at("/branch/gtrid").asText() + "/" + s.get("outcome").asText())
                .containsExactly(foreign + "/LEFT");
        assertThat(json.get("remainingInDoubt").asInt()).isEqualTo(1);
    }

    @Test
    void anOperatorOverrideWithYesFinishesAnotherNodesTransactionAndThenNothingIsInDoubt() throws Exception {
        Path config = config();
        assertThat(run("resolve", "--config", config.toString()).exit()).isEqualTo(ExitCodes.IN_DOUBT);

        Result r = run("resolve", "--config", config.toString(), "--commit", foreign, "--yes");

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.OK);
        assertThat(r.err()).contains("Operator override: COMMIT transaction " + foreign);
        assertThat(balanceA(3)).isEqualTo(90);
        assertThat(inDoubtA()).isZero();
        assertThat(run("scan", "--config", config.toString()).exit()).isEqualTo(ExitCodes.OK);
    }

    @Test
    void anOverrideWithoutConsoleAndWithoutYesIsRefusedAndChangesNothing() throws Exception {
        Result r = run("resolve", "--config", config().toString(), "--rollback", foreign);

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).contains("without confirmation").contains("--yes");
        assertThat(inDoubtA()).isEqualTo(3);
    }

    /** The operator first presses Enter for bank-b's password (the file names no variable for it), then answers. */
    @Test
    void anOverrideAsksTheOperatorToTypeYes() throws Exception {
        Path config = config();
        Result declined = cli().env("BANK_A_PW", SECRET).console("", "no").run("resolve", "--config", config.toString(),
                "--rollback", foreign);
        assertThat(declined.exit()).as(declined.toString()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(declined.prompts()).anyMatch(p -> p.contains("Type yes"));
        assertThat(inDoubtA()).isEqualTo(3);

        Result confirmed = cli().env("BANK_A_PW", SECRET).console("", "yes").run("resolve", "--config", config.toString(),
                "--rollback", foreign);
        assertThat(confirmed.exit()).as(confirmed.toString()).isEqualTo(ExitCodes.IN_DOUBT); // n1's two remain
        assertThat(inDoubtA()).isEqualTo(2);
        assertThat(balanceA(3)).isEqualTo(100);
    }

    @Test
    void resolveRefusesWhileTheNodeIsRunning() throws Exception {
        Path config = config();
        try (LocalCommitLog running = LocalCommitLog.open(logDir)) {
            Result r = run("resolve", "--config", config.toString());

            assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(r.err()).contains("Node n1 is running").contains("Its own recovery manager")
                    .contains("stop the node first");
            assertThat(inDoubtA()).isEqualTo(3);
            assertThat(running.decision(committed)).as("the running log is undisturbed")
                    .isEqualTo(io.quorumtx.tm.log.Decision.COMMIT);

            Result scan = run("scan", "--config", config.toString());
            assertThat(scan.out()).contains("RUNNING").doesNotContain("ROLLBACK ");
        }
    }

    @Test
    void anUnreachableDatabaseIsNamedAndExitsTwo() throws Exception {
        Path missing = dir.resolve("no-such-dir").resolve("bank-c");
        Path config = config("database.bank-c.url=jdbc:h2:file:" + missing + ";IFEXISTS=TRUE",
                "database.bank-c.dialect=h2");

        Result r = run("scan", "--config", config.toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.out()).contains("bank-c").contains("UNREACHABLE");
        assertThat(r.err()).contains("Database bank-c could not be reached");
        assertThat(r.err()).doesNotContain("\tat ");
    }

    @Test
    void resolveWithAnUnreachableDatabaseChangesNothingUnlessToldToSkipIt() throws Exception {
        Path config = config("database.bank-c.url=jdbc:h2:file:" + dir.resolve("none").resolve("bank-c")
                + ";IFEXISTS=TRUE", "database.bank-c.dialect=h2");

        Result refused = run("resolve", "--config", config.toString());

        assertThat(refused.exit()).as(refused.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(refused.err().strip().lines()).hasSize(1);
        assertThat(refused.err()).contains("Database bank-c could not be reached").contains("Nothing was changed")
                .contains("--skip-unreachable");
        assertThat(inDoubtA()).isEqualTo(3);
        assertThat(inDoubtB()).isEqualTo(2);

        Result partial = run("resolve", "--config", config.toString(), "--skip-unreachable");

        assertThat(partial.exit()).as(partial.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(partial.err()).contains("Database bank-c could not be reached");
        assertThat(balanceA()).isEqualTo(75);
        assertThat(inDoubtA()).isEqualTo(1);
        assertThat(inDoubtB()).isZero();
    }

    @Test
    void aTypoInTheConfigurationIsOneMessageAndChangesNothing() throws Exception {
        Path config = config("database.bank-a.dialetc=h2");

        Result r = run("resolve", "--config", config.toString());

        assertThat(r.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains("Unknown key 'database.bank-a.dialetc'").contains("database.bank-a.dialect");
        assertThat(inDoubtA()).isEqualTo(3);
    }

    @Test
    void withJsonAFailureIsAlsoAJsonDocumentOnStdout() throws Exception {
        Result r = run("scan", "--config", config("log.directroy=/x").toString(), "--json");

        assertThat(r.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("error").asText()).contains("Unknown key 'log.directroy'");
        assertThat(json.get("exitCode").asInt()).isEqualTo(2);
    }

    @Test
    void thePasswordNeverAppearsInAnyOutput() throws Exception {
        Path config = config();
        List<Result> results = List.of(
                run("scan", "--config", config.toString()),
                run("scan", "--config", config.toString(), "--json", "--verbose"),
                run("resolve", "--config", config.toString(), "--dry-run", "--json"),
                cli().env("BANK_A_PW", SECRET + "-wrong").run("scan", "--config", config.toString(), "--verbose"));
        for (Result r : results) {
            assertThat(r.all()).as(r.toString()).doesNotContain(SECRET);
        }
        assertThat(results.get(0).exit()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(results.get(3).exit()).as("wrong password: bank-a unreachable").isEqualTo(ExitCodes.BAD_INPUT);
    }

    @Test
    void aPasswordVariableThatIsNotSetIsNamed() throws Exception {
        Result r = cli().run("scan", "--config", config().toString());

        assertThat(r.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).contains("database.bank-a.password.env").contains("BANK_A_PW").contains("not set");
    }

    @Test
    void withoutAVariableThePasswordIsAskedAtTheConsoleAndNotEchoed() throws Exception {
        Path config = config();
        Files.write(config, Files.readAllLines(config).stream().filter(l -> !l.contains("password.env")).toList());

        Result r = cli().console(SECRET).run("scan", "--config", config.toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(r.prompts()).anyMatch(p -> p.startsWith("Password for database bank-a (user sa)"));
        assertThat(r.out() + r.err()).doesNotContain(SECRET);
    }

    @Test
    void resolveRefusesALogWithACorruptFrameAndChangesNothing() throws Exception {
        Path segment = LogFiles.largestSegment(logDir);
        try (var ch = java.nio.channels.FileChannel.open(segment, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {0x55}), 16 + 12); // inside the COMMIT frame
            ch.write(java.nio.ByteBuffer.wrap(LogFiles.endFrame(undecided)), Files.size(segment)); // intact after it
        }
        Map<String, String> logBefore = LogFiles.snapshot(logDir);

        Result r = run("resolve", "--config", config().toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).contains("is damaged").contains("corrupt frame").contains("at offset 16")
                .contains("nothing was changed");
        assertThat(inDoubtA()).isEqualTo(3);
        assertThat(inDoubtB()).isEqualTo(2);
        assertThat(LogFiles.snapshot(logDir)).isEqualTo(logBefore);
        Result scan = run("scan", "--config", config().toString());
        assertThat(scan.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(scan.out()).contains("LOG DAMAGE CORRUPT_FRAME");
    }

    @Test
    void theNodeIdComesFromTheLogsNodeIdFileAndAConflictingNodeIdIsRefused() throws Exception {
        io.quorumtx.tm.log.NodeIdFile.claim(logDir, "n1");
        Path config = config();
        Files.write(config, Files.readAllLines(config).stream().filter(l -> !l.startsWith("node.id=")).toList());

        Result fromFile = run("resolve", "--config", config.toString(), "--dry-run", "--json");
        assertThat(fromFile.exit()).as(fromFile.toString()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(new ObjectMapper().readTree(fromFile.out()).get("nodeId").asText()).isEqualTo("n1");

        Files.writeString(config, "node.id=n9\n", java.nio.file.StandardOpenOption.APPEND);
        Result conflict = run("resolve", "--config", config.toString());
        assertThat(conflict.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(conflict.err()).contains("node.id=n9").contains("belongs to node n1");
        assertThat(inDoubtA()).isEqualTo(3);
    }

    @Test
    void aTransactionOfTheStoppedNodeBegunAfterTheCheckIsLeftAlone() throws Exception {
        String later = QuorumXid.formatGtrid("n1", "zz", 1, System.currentTimeMillis() + 3_600_000);
        CrashedBranches.prepare(urlB, "sa", "", new QuorumXid(later, "bank-b"), 3, 5);

        Result r = run("resolve", "--config", config().toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(r.out()).contains("another transaction manager may be running under node id n1");
        assertThat(inDoubtB()).isEqualTo(1);
        assertThat(balanceB(3)).isEqualTo(100);
    }

    @Test
    void resolveRefusesADirectoryThatHoldsNoCommitLog() throws Exception {
        Path config = config();
        Path empty = Files.createDirectory(dir.resolve("empty-log"));
        Files.write(config, Files.readAllLines(config).stream()
                .map(l -> l.startsWith("log.directory=") ? "log.directory=" + empty : l).toList());

        Result r = run("resolve", "--config", config.toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).contains("holds no commit log").contains(empty.toString());
        assertThat(inDoubtA()).isEqualTo(3);
        assertThat(empty).isEmptyDirectory();
    }

    @Test
    void anOverrideOfSomethingThatIsNotAGtridIsRefused() throws Exception {
        Result r = run("resolve", "--config", config().toString(), "--commit", "bank-a:42", "--yes");

        assertThat(r.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).contains("'bank-a:42' is not a QuorumTX gtrid").contains("Nothing was changed");
        assertThat(inDoubtA()).isEqualTo(3);
    }

    @Test
    void rollingBackATransactionWithALoggedCommitIsRefused() throws Exception {
        Result r = run("resolve", "--config", config().toString(), "--rollback", committed, "--yes");

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).contains("logged COMMIT").contains("Nothing was changed");
        assertThat(inDoubtA()).isEqualTo(3);
    }

    @Test
    void verboseAddsTheStackTraceAndPlainOutputHasNone() throws Exception {
        Path config = config("database.bank-a.xa-data-source=no.such.DataSource");
        Files.write(config, Files.readAllLines(config).stream().filter(l -> !l.equals("database.bank-a.dialect=h2"))
                .toList());

        Result plain = run("scan", "--config", config.toString());
        Result verbose = run("scan", "--config", config.toString(), "--verbose");

        assertThat(plain.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(plain.err().strip()).contains("database.bank-a.xa-data-source names class no.such.DataSource")
                .doesNotContain("\tat ");
        assertThat(verbose.err()).contains("\tat ");
    }

    @Test
    void aHeuristicOutcomeExitsThree() throws Exception {
        String gtrid = new XidFactory("n1").newGtrid();
        try (LocalCommitLog log = LocalCommitLog.open(logDir)) {
            log.logCommit(new CommitRecord(gtrid, List.of(new BranchRecord("odd", "odd")), System.currentTimeMillis()));
        }
        Path config = config("database.odd.url=jdbc:fake:" + gtrid + ":odd",
                "database.odd.xa-data-source=io.quorumtx.recovery.testing.HeuristicXADataSource");

        Result r = run("resolve", "--config", config.toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.HEURISTIC);
        assertThat(r.out()).contains("HEURISTIC " + gtrid).contains("NEEDS AN OPERATOR");
    }
}
