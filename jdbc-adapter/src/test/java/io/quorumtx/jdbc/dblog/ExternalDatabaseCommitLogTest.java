package io.quorumtx.jdbc.dblog;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.xid.XidFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import javax.sql.XADataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The database log kept in PostgreSQL or MariaDB, which also carries the decision of a transfer
 * with an H2 database, in both wrapping styles; and a settle racing a held coordinator, which
 * must wait on the uncommitted COMMIT row and give up (the dialect's lock timeout), never ABORT.
 * Skips when the server is absent (fails when databases are required).
 */
class ExternalDatabaseCommitLogTest {

    enum Case {
        POSTGRESQL_XA, POSTGRESQL_DIALECT, MARIADB_XA, MARIADB_DIALECT;

        boolean postgresql() {
            return this == POSTGRESQL_XA || this == POSTGRESQL_DIALECT;
        }

        boolean xa() {
            return this == POSTGRESQL_XA || this == MARIADB_XA;
        }
    }

    @TempDir
    Path directory;

    private final String prefix = "qtx_" + UUID.randomUUID().toString().substring(0, 8);
    private final String table = prefix + "_acct";
    private final SynchronousQueue<String> held = new SynchronousQueue<>();
    private final SynchronousQueue<Boolean> release = new SynchronousQueue<>();
    private volatile boolean hold;
    private ExternalDatabases.Server server;
    private HikariDataSource logPool;
    private HikariDataSource appPool;
    private QuorumTransactionManager tm;
    private TransactionalDataSource external;
    private Wrapped h2;
    private String h2Url;

    @AfterEach
    void stop() throws SQLException {
        for (AutoCloseable c : new AutoCloseable[] {external, h2}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        if (tm != null) {
            tm.close();
        }
        if (appPool != null) {
            appPool.close();
        }
        if (logPool != null) {
            logPool.close();
        }
        if (server != null) {
            try (Connection c = server.open(); Statement s = c.createStatement()) {
                for (String t : new String[] {table, prefix + "_decisions", prefix + "_done", prefix + "_nodes",
                        prefix + "_meta"}) {
                    s.execute("DROP TABLE IF EXISTS " + t);
                }
            }
        }
    }

    private DatabaseCommitLog connect(Case c) throws Exception {
        server = c.postgresql() ? ExternalDatabases.postgresql() : ExternalDatabases.mariadb();
        try (Connection conn = server.open(); Statement s = conn.createStatement()) {
            s.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY, balance INT NOT NULL)");
            s.execute("INSERT INTO " + table + " VALUES (1, 1000)");
        }
        Dialect dialect = c.postgresql() ? Dialect.postgresql() : Dialect.mysql();
        logPool = pool(server.url());
        DatabaseCommitLog log = DatabaseCommitLog.builder(logPool, dialect).tablePrefix(prefix).carriedBy("external")
                .settleTimeout(Duration.ofMillis(300)).deleteInterval(Duration.ofHours(1)).build();
        tm = QuorumTransactionManager.builder().nodeId("ext").commitLog(log).crashInjector((point, gtrid) -> {
            if (point == CrashPoint.BEFORE_DECISION_BRANCH_COMMIT && hold) {
                try {
                    held.put(gtrid);
                    release.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }).build();
        TransactionalDataSource.Builder builder = TransactionalDataSource.builder(tm).name("external");
        if (c.xa()) {
            external = builder.xaDataSource(c.postgresql() ? pgXa(server.url()) : mariaDbXa(server.url()))
                    .maximumPoolSize(2).build();
        } else {
            appPool = pool(server.url());
            external = builder.dataSource(appPool).dialect(dialect).build();
        }
        h2Url = H2Bank.url(directory, "h2");
        H2Bank.createAccounts(h2Url, 1000);
        h2 = Wrapped.of(Wrapped.Style.DIALECT, tm, "h2-bank", h2Url);
        tm.recover();
        return log;
    }

    private static HikariDataSource pool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(3);
        return new HikariDataSource(config);
    }

    private static XADataSource pgXa(String url) {
        org.postgresql.xa.PGXADataSource xa = new org.postgresql.xa.PGXADataSource();
        xa.setUrl(url);
        return xa;
    }

    private static XADataSource mariaDbXa(String url) throws SQLException {
        return new org.mariadb.jdbc.MariaDbDataSource(url);
    }

    private void transfer(int amount) throws Exception {
        tm.begin();
        try (Connection e = external.getConnection(); Connection h = h2.dataSource().getConnection();
             Statement s = e.createStatement()) {
            s.executeUpdate("UPDATE " + table + " SET balance = balance - " + amount + " WHERE id = 1");
            H2Bank.addToBalance(h, 1, amount);
        }
        tm.commit();
    }

    private long query(String sql) throws SQLException {
        try (Connection c = server.open(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Case.class)
    void theExternalDatabaseCarriesTheDecisionAndTheDeleterRemovesTheRow(Case c) throws Exception {
        DatabaseCommitLog log = connect(c);

        transfer(30);

        assertThat(query("SELECT balance FROM " + table + " WHERE id = 1")).isEqualTo(970);
        assertThat(H2Bank.balance(h2Url, 1)).isEqualTo(1030);
        assertThat(log.stats().carriedDecisions()).isEqualTo(1);
        assertThat(query("SELECT COUNT(*) FROM " + prefix + "_decisions WHERE decision = 'C'")).isEqualTo(1);
        // END is lazy (a phase-2 retry writes it later): each round deletes what has ended by then
        io.quorumtx.testsupport.Poll.until("the deleter removes the finished COMMIT row", Duration.ofSeconds(30), () -> {
            log.runMaintenanceNow();
            return query("SELECT COUNT(*) FROM " + prefix + "_decisions") == 0;
        });
    }

    @ParameterizedTest
    @EnumSource(Case.class)
    void aSettleWaitsOnTheUncommittedCommitRowAndNeverAborts(Case c) throws Exception {
        connect(c);
        DatabaseCommitLog settler = DatabaseCommitLog.builder(logPool, c.postgresql() ? Dialect.postgresql()
                : Dialect.mysql()).tablePrefix(prefix).settleTimeout(Duration.ofMillis(300)).build();
        settler.startIncarnation("settler", new XidFactory("settler").epoch());
        ExecutorService app = Executors.newSingleThreadExecutor();
        int rounds = 4;
        try {
            hold = true;
            for (int i = 0; i < rounds; i++) {
                Future<?> commit = app.submit(() -> {
                    transfer(1);
                    return null;
                });
                String gtrid = held.poll(60, TimeUnit.SECONDS);
                assertThat(gtrid).as("the coordinator reached its decision commit").isNotNull();
                Decision whileHeld;
                try {
                    whileHeld = settler.settle(gtrid);
                } catch (CommitLogException e) {
                    whileHeld = Decision.UNKNOWN;
                }
                assertThat(whileHeld).as("round %d: cannot tell while the COMMIT row is uncommitted", i)
                        .isEqualTo(Decision.UNKNOWN);
                release.put(true);
                commit.get(60, TimeUnit.SECONDS);
                assertThat(settler.settle(gtrid)).as("round %d: the committed row stands", i).isEqualTo(Decision.COMMIT);
            }
        } finally {
            hold = false;
            app.shutdownNow();
            settler.close();
        }
        assertThat(query("SELECT balance FROM " + table + " WHERE id = 1")).isEqualTo(1000 - rounds);
        assertThat(H2Bank.balance(h2Url, 1)).isEqualTo(1000 + rounds);
    }
}
