package io.quorumtx.recovery.cli;

import static io.quorumtx.recovery.testing.CliRun.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.dialect.DialectXAResource;
import io.quorumtx.recovery.testing.CliRun.Result;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.ExternalDatabases.Server;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.LocalCommitLog;
import io.quorumtx.tm.log.NodeIdFile;
import io.quorumtx.tm.xid.QuorumXid;
import io.quorumtx.tm.xid.XidFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.StreamSupport;
import javax.transaction.xa.XAResource;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * resolve on real PostgreSQL and MariaDB, configured both ways (dialect and the driver's XA data
 * source). The databases are shared with other tests, so this test runs as a node of its own
 * (a random node id): other nodes' branches are left alone by the tool, and only this test's
 * branches and table are checked.
 */
class ExternalDatabasesToolTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} via {1}")
    @CsvSource({"postgresql, dialect", "postgresql, xa", "mariadb, dialect", "mariadb, xa"})
    void resolveCommitsTheLoggedAndRollsBackTheUndecidedBranch(String database, String style) throws Exception {
        Server server = database.equals("postgresql") ? ExternalDatabases.postgresql() : ExternalDatabases.mariadb();
        String suffix = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
        String node = "tool-" + suffix;
        String table = "tool_acct_" + suffix;
        Dialect dialect = database.equals("postgresql") ? Dialect.postgresql() : Dialect.mysql();
        try (Connection c = server.open(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY, balance BIGINT NOT NULL)");
            s.execute("INSERT INTO " + table + " VALUES (1, 100), (2, 100)");
        }
        Path logDir = Files.createDirectory(dir.resolve("log"));
        Path config = dir.resolve("recovery.properties");
        Files.write(config, List.of("log.directory=" + logDir, "database.db.url=" + server.url(),
                "database.db.user=" + server.user(), style.equals("xa") ? "database.db.xa-data-source="
                        + server.xaDataSource() : "database.db.dialect=" + server.dialect()));
        XidFactory xids = new XidFactory(node);
        String committed = xids.newGtrid();
        String undecided = xids.newGtrid();
        try {
            prepare(server, dialect, table, new QuorumXid(committed, "db"), 1);
            prepare(server, dialect, table, new QuorumXid(undecided, "db"), 2);
            try (LocalCommitLog log = LocalCommitLog.open(logDir)) {
                NodeIdFile.claim(logDir, node);
                log.logCommit(new CommitRecord(committed, List.of(new BranchRecord("db", "db")),
                        System.currentTimeMillis()));
            }

            Result r = cli().run("resolve", "--config", config.toString(), "--json");

            assertThat(r.exit()).as(r.toString()).isIn(ExitCodes.OK, ExitCodes.IN_DOUBT); // others' branches may remain
            JsonNode steps = new ObjectMapper().readTree(r.out()).get("steps");
            assertThat(StreamSupport.stream(steps.spliterator(), false)
                    .filter(st -> st.at("/branch/ownerNode").asText().equals(node))
                    .map(st -> st.at("/branch/gtrid").asText() + "=" + st.get("outcome").asText()))
                    .containsExactlyInAnyOrder(committed + "=COMMITTED", undecided + "=ROLLED_BACK");
            assertThat(balance(server, table, 1)).isEqualTo(125);
            assertThat(balance(server, table, 2)).isEqualTo(100);
            Result scan = cli().run("scan", "--config", config.toString(), "--json");
            assertThat(new ObjectMapper().readTree(scan.out()).get("branches"))
                    .noneMatch(b -> b.get("ownerNode").asText().equals(node));
        } finally {
            cli().run("resolve", "--config", config.toString()); // never leave a branch of ours behind
            try (Connection c = server.open(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE " + table);
            }
        }
    }

    private static void prepare(Server server, Dialect dialect, String table, QuorumXid xid, int id) throws Exception {
        try (Connection c = server.open()) {
            DialectXAResource branch = new DialectXAResource(c, dialect, "db");
            branch.start(xid, XAResource.TMNOFLAGS);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE " + table + " SET balance = balance + 25 WHERE id = " + id);
            }
            branch.end(xid, XAResource.TMSUCCESS);
            branch.prepare(xid);
        }
    }

    private static long balance(Server server, String table, int id) throws Exception {
        try (Connection c = server.open(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT balance FROM " + table.toLowerCase(Locale.ROOT) + " WHERE id = " + id)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
