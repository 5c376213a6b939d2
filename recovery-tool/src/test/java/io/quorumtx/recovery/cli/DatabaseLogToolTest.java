package io.quorumtx.recovery.cli;

import static io.quorumtx.recovery.testing.CliRun.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quorumtx.jdbc.dblog.DatabaseCommitLog;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.recovery.testing.CliRun.Result;
import io.quorumtx.recovery.testing.CrashedBranches;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.xid.QuorumXid;
import io.quorumtx.tm.xid.XidFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scan and resolve with {@code log.type=database}: the decisions are rows in bank-a (an H2 file
 * database with a password), as the database commit log keeps them. Three owners:
 * {@code committed} of node gone (crashed, lease lapsed) has a COMMIT row and is prepared in both
 * banks; {@code undecided} of node gone has no row and is prepared in both; {@code foreign} of node
 * alive (a live lease) is prepared in bank-a.
 */
class DatabaseLogToolTest {
    private static final String SECRET = "Walrus-Secret-0815";
    private static final String ROWS = "SELECT COUNT(*) FROM quorumtx_log_decisions";

    @TempDir
    Path dir;

    private String urlA;
    private String urlB;
    private String committed;
    private String undecided;
    private String foreign;
    private DatabaseCommitLog alive;
    /** Keep both databases open for the whole test: reopening an H2 file database per connection is slow. */
    private final List<Connection> keepOpen = new ArrayList<>();

    @BeforeEach
    void crashedNode() throws Exception {
        urlA = H2Bank.url(dir, "bank-a");
        urlB = H2Bank.url(dir, "bank-b");
        H2Bank.createAccounts(urlA, "sa", SECRET, 100, 100, 100);
        H2Bank.createAccounts(urlB, "sa", "", 100, 100, 100);
        keepOpen.add(DriverManager.getConnection(urlA, "sa", SECRET));
        keepOpen.add(DriverManager.getConnection(urlB, "sa", ""));

        XidFactory gone = new XidFactory("gone");
        DatabaseCommitLog goneLog = log();
        goneLog.startIncarnation("gone", gone.epoch());
        committed = gone.newGtrid();
        undecided = gone.newGtrid();
        CrashedBranches.prepare(urlA, "sa", SECRET, new QuorumXid(committed, "bank-a"), 1, -25);
        CrashedBranches.prepare(urlB, "sa", "", new QuorumXid(committed, "bank-b"), 1, 25);
        CrashedBranches.prepare(urlA, "sa", SECRET, new QuorumXid(undecided, "bank-a"), 2, -25);
        CrashedBranches.prepare(urlB, "sa", "", new QuorumXid(undecided, "bank-b"), 2, 25);
        goneLog.logCommit(new CommitRecord(committed, List.of(new BranchRecord("bank-a", "bank-a"),
                new BranchRecord("bank-b", "bank-b")), System.currentTimeMillis()));
        goneLog.close();
        // close() retires the incarnation (fenced); a crashed process leaves it unfenced with a lapsed lease
        update("UPDATE quorumtx_log_nodes SET fenced = 0, lease_until = 0 WHERE node_id = 'gone'");

        XidFactory aliveIds = new XidFactory("alive");
        alive = log();
        alive.startIncarnation("alive", aliveIds.epoch());
        foreign = aliveIds.newGtrid();
        CrashedBranches.prepare(urlA, "sa", SECRET, new QuorumXid(foreign, "bank-a"), 3, -10);
    }

    @AfterEach
    void closeDatabases() throws Exception {
        if (alive != null) {
            alive.close();
        }
        for (Connection c : keepOpen) {
            c.close();
        }
    }

    private DatabaseCommitLog log() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(urlA);
        ds.setUser("sa");
        ds.setPassword(SECRET);
        return DatabaseCommitLog.builder(ds, Dialect.h2()).build();
    }

    private void update(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(urlA, "sa", SECRET);
             PreparedStatement ps = c.prepareStatement(sql)) {
            ps.executeUpdate();
        }
    }

    private long count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(urlA, "sa", SECRET);
             PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private Path config(String... extra) throws Exception {
        List<String> lines = new ArrayList<>(List.of("log.type=database", "log.url=" + urlA, "log.user=sa",
                "log.password.env=LOG_PW", "log.dialect=h2",
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
        return cli().env("BANK_A_PW", SECRET).env("LOG_PW", SECRET).run(args);
    }

    private static String row(String gtrid, String resource, String owner, String logged, String action) {
        return resource + "\\s+" + gtrid.replace(".", "\\.") + "\\s+" + resource + "\\s+" + owner + "\\s+\\S+\\s+"
                + logged + "\\s+" + action;
    }

    @Test
    void scanReadsDecisionsFromTheRowsAndLeasesAndWritesNothing() throws Exception {
        Result r = run("scan", "--config", config().toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(r.out()).contains("Database commit log jdbc:h2:file:")
                .containsPattern(row(committed, "bank-b", "gone", "COMMIT", "COMMIT"))
                .containsPattern(row(undecided, "bank-b", "gone", "UNKNOWN", "ROLLBACK"))
                .containsPattern(row(foreign, "bank-a", "alive", "UNKNOWN", "LEAVE"))
                .contains("live lease");
        assertThat(count(ROWS)).as("only the COMMIT row: scan inserted no ABORT").isEqualTo(1);
        assertThat(H2Bank.inDoubt(urlA, "sa", SECRET)).isEqualTo(3);
        assertThat(H2Bank.inDoubt(urlB)).isEqualTo(2);
        assertThat(r.out() + r.err()).doesNotContain(SECRET);
    }

    @Test
    void resolveCommitsWhatHasACommitRowAndRollsBackTheLapsedOwnersRestAfterAnAbortRow() throws Exception {
        Result r = run("resolve", "--config", config().toString());

        assertThat(r.exit()).as("the live owner's branch stays in doubt%s", r).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(H2Bank.balance(urlA, "sa", SECRET, 1)).as("committed").isEqualTo(75);
        assertThat(H2Bank.balance(urlB, 1)).as("committed").isEqualTo(125);
        assertThat(H2Bank.balance(urlA, "sa", SECRET, 2)).as("rolled back").isEqualTo(100);
        assertThat(H2Bank.balance(urlB, 2)).as("rolled back").isEqualTo(100);
        assertThat(H2Bank.inDoubt(urlB)).isZero();
        assertThat(H2Bank.inDoubt(urlA, "sa", SECRET)).as("node alive's branch is left to it").isEqualTo(1);
        assertThat(count(ROWS + " WHERE decision = 'A' AND gtrid = '" + undecided + "'"))
                .as("the ABORT row went in before the rollback").isEqualTo(1);
        assertThat(count(ROWS + " WHERE gtrid = '" + committed + "'")).as("finished: its row deleted").isZero();
        assertThat(r.out() + r.err()).doesNotContain(SECRET);

        Result again = run("scan", "--config", config().toString());
        assertThat(again.out()).doesNotContain(committed).doesNotContain(undecided);
    }

    @Test
    void resolveDryRunChangesNothing() throws Exception {
        Result r = run("resolve", "--config", config().toString(), "--dry-run");

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(r.out()).contains("Plan (dry run, nothing changed)").contains(undecided);
        assertThat(count(ROWS)).isEqualTo(1);
        assertThat(H2Bank.inDoubt(urlB)).isEqualTo(2);
    }

    @Test
    void jsonNamesTheDatabaseLogAndEveryStep() throws Exception {
        Result r = run("resolve", "--config", config().toString(), "--json");

        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("command").asText()).isEqualTo("resolve");
        assertThat(json.get("logDirectory").asText()).startsWith("database:jdbc:h2:file:")
                .endsWith("(tables quorumtx_log_*)");
        assertThat(json.get("nodeId").isNull()).isTrue();
        assertThat(json.get("databases")).extracting(d -> d.get("name").asText() + ":" + d.get("answered").asBoolean())
                .containsExactly("bank-a:true", "bank-b:true");
        assertThat(json.get("steps")).extracting(s -> s.at("/branch/gtrid").asText() + "/" + s.at("/branch/resource")
                .asText() + "/" + s.at("/branch/action").asText() + "/" + s.get("outcome").asText())
                .contains(committed + "/bank-a/COMMIT/COMMITTED", committed + "/bank-b/COMMIT/COMMITTED",
                        undecided + "/bank-a/ROLLBACK/ROLLED_BACK", undecided + "/bank-b/ROLLBACK/ROLLED_BACK",
                        foreign + "/bank-a/LEAVE/LEFT");
        assertThat(json.get("remainingInDoubt").asInt()).isEqualTo(1);
        assertThat(json.get("exitCode").asInt()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(r.out()).doesNotContain(SECRET);
    }

    @Test
    void operatorOverridesAreRefusedWithTheDatabaseLog() throws Exception {
        Result r = run("resolve", "--config", config().toString(), "--rollback", committed, "--yes");

        assertThat(r.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).contains("do not apply to the database commit log");
        assertThat(H2Bank.inDoubt(urlB)).isEqualTo(2);
    }

    @Test
    void aWrongTablePrefixIsReportedWithoutThePassword() throws Exception {
        Result r = run("scan", "--config", config("log.table-prefix=nosuch").toString());

        assertThat(r.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).contains("cannot be opened").contains("log.table-prefix").doesNotContain(SECRET);
    }

    @Test
    void aPasswordInTheFileAndAMixWithTheLocalLogAreRefused() throws Exception {
        Result password = run("scan", "--config", config("log.password=" + SECRET).toString());
        assertThat(password.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(password.err()).contains("log.password.env").doesNotContain(SECRET);

        Result both = run("scan", "--config", config("log.directory=" + dir).toString());
        assertThat(both.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(both.err()).contains("log.type=database and log.directory");
    }
}
