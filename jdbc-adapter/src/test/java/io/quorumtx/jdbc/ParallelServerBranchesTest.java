package io.quorumtx.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.ExternalDatabases.Server;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.QuorumTransactionManager;
import jakarta.transaction.RollbackException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.XADataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code BranchExecution.AUTO} (the default) on real databases: branches on two database servers
 * (PostgreSQL and MariaDB, or two PostgreSQL databases) are prepared and committed side by side,
 * which leaves the manager's branch thread behind; two embedded H2 databases never start one. A
 * NO vote from PostgreSQL (a deferred unique constraint fails at PREPARE) rolls back the MariaDB
 * branch prepared beside it. Skips without the servers (fails with QUORUMTX_REQUIRE_DATABASES=1).
 */
class ParallelServerBranchesTest {
    @TempDir
    Path directory;

    private final String nodeId = "par-" + UUID.randomUUID().toString().substring(0, 8);
    private final String table = "par_" + UUID.randomUUID().toString().substring(0, 8);
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final List<Runnable> dropping = new ArrayList<>();
    private QuorumTransactionManager tm;

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        if (tm != null) {
            tm.close();
        }
        dropping.forEach(Runnable::run);
    }

    private QuorumTransactionManager manager() {
        tm = QuorumTransactionManager.builder().nodeId(nodeId).logDirectory(directory.resolve("log")).build();
        return tm;
    }

    private boolean branchThreadStarted() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().startsWith("quorumtx-" + nodeId + "-branch"));
    }

    /** A table with one account (id 1, balance 100) and a deferred unique constraint on {@code tag}. */
    private void createTable(Server server, String database) throws SQLException {
        String deferred = server == Server.POSTGRESQL ? " DEFERRABLE INITIALLY DEFERRED" : "";
        try (Connection c = server.open(database, server.admin()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY, balance INT NOT NULL, tag INT, CONSTRAINT "
                    + table + "_tag UNIQUE (tag)" + deferred + ")");
            s.execute("INSERT INTO " + table + " (id, balance) VALUES (1, 100)");
        }
        dropping.add(() -> {
            try (Connection c = server.open(database, server.admin()); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + table);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private TransactionalDataSource xa(Server server, String database, String name) throws Exception {
        XADataSource xa = Class.forName(server.xaDataSource()).asSubclass(XADataSource.class).getDeclaredConstructor()
                .newInstance();
        xa.getClass().getMethod("setUrl", String.class).invoke(xa, server.url(database));
        xa.getClass().getMethod("setUser", String.class).invoke(xa, server.admin().user());
        TransactionalDataSource ds = TransactionalDataSource.builder(tm).name(name).xaDataSource(xa)
                .maximumPoolSize(2).build();
        closing.add(ds);
        return ds;
    }

    private TransactionalDataSource dialect(Server server, String database, String name) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(server.url(database));
        config.setUsername(server.admin().user());
        config.setMaximumPoolSize(2);
        HikariDataSource pool = new HikariDataSource(config);
        closing.add(pool);
        TransactionalDataSource ds = TransactionalDataSource.builder(tm).name(name).dataSource(pool)
                .dialect(Dialect.postgresql()).build();
        closing.add(ds);
        return ds;
    }

    private void transfer(TransactionalDataSource from, TransactionalDataSource to, int amount) throws Exception {
        tm.begin();
        try (Connection a = from.getConnection(); Connection b = to.getConnection();
             Statement sa = a.createStatement(); Statement sb = b.createStatement()) {
            sa.executeUpdate("UPDATE " + table + " SET balance = balance - " + amount + " WHERE id = 1");
            sb.executeUpdate("UPDATE " + table + " SET balance = balance + " + amount + " WHERE id = 1");
        }
        tm.commit();
    }

    private int balance(Server server, String database) throws SQLException {
        try (Connection c = server.open(database, server.admin()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT balance FROM " + table + " WHERE id = 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void twoPostgreSqlDatabasesThroughTheDialectCommitSideBySide() throws Exception {
        Server pg = ExternalDatabases.postgresql();
        manager();
        createTable(pg, ExternalDatabases.DATABASE_A);
        createTable(pg, ExternalDatabases.DATABASE_B);
        TransactionalDataSource a = dialect(pg, ExternalDatabases.DATABASE_A, "pg-a");
        TransactionalDataSource b = dialect(pg, ExternalDatabases.DATABASE_B, "pg-b");
        for (int i = 0; i < 5; i++) {
            transfer(a, b, 10);
        }
        assertThat(balance(pg, ExternalDatabases.DATABASE_A)).isEqualTo(50);
        assertThat(balance(pg, ExternalDatabases.DATABASE_B)).isEqualTo(150);
        assertThat(branchThreadStarted()).as("AUTO chose parallel for two servers").isTrue();
    }

    @Test
    void aNoVoteFromPostgreSqlRollsBackTheMariaDbBranchPreparedBesideIt() throws Exception {
        Server pg = ExternalDatabases.postgresql();
        Server maria = ExternalDatabases.mariadb();
        manager();
        createTable(pg, ExternalDatabases.DATABASE_A);
        createTable(maria, ExternalDatabases.DATABASE_A);
        TransactionalDataSource p = xa(pg, ExternalDatabases.DATABASE_A, "pg");
        TransactionalDataSource m = xa(maria, ExternalDatabases.DATABASE_A, "maria");
        transfer(p, m, 10);
        assertThat(branchThreadStarted()).as("AUTO chose parallel for PostgreSQL and MariaDB").isTrue();

        tm.begin();
        try (Connection a = p.getConnection(); Connection b = m.getConnection();
             Statement sa = a.createStatement(); Statement sb = b.createStatement()) {
            sa.executeUpdate("UPDATE " + table + " SET balance = balance - 20 WHERE id = 1");
            sa.executeUpdate("INSERT INTO " + table + " (id, balance, tag) VALUES (2, 0, 7), (3, 0, 7)"); // fails at PREPARE
            sb.executeUpdate("UPDATE " + table + " SET balance = balance + 20 WHERE id = 1");
        }
        assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class).hasMessageContaining("resource pg");
        assertThat(balance(pg, ExternalDatabases.DATABASE_A)).isEqualTo(90);
        assertThat(balance(maria, ExternalDatabases.DATABASE_A)).isEqualTo(110);
        try (Connection c = maria.open(ExternalDatabases.DATABASE_A, maria.admin()); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            // A prepared MariaDB branch would still hold the row lock: NOWAIT fails at once if it does.
            s.executeQuery("SELECT balance FROM " + table + " WHERE id = 1 FOR UPDATE NOWAIT").close();
            c.rollback();
        }
    }

    @Test
    void twoEmbeddedH2DatabasesStaySerial() throws Exception {
        manager();
        String urlA = H2Bank.url(directory, "a");
        String urlB = H2Bank.url(directory, "b");
        H2Bank.createAccounts(urlA, 100);
        H2Bank.createAccounts(urlB, 100);
        for (Wrapped.Style style : Wrapped.Style.values()) {
            Wrapped a = Wrapped.of(style, tm, "h2a-" + style, urlA);
            Wrapped b = Wrapped.of(style, tm, "h2b-" + style, urlB);
            closing.add(a);
            closing.add(b);
            tm.begin();
            try (Connection ca = a.dataSource().getConnection(); Connection cb = b.dataSource().getConnection()) {
                H2Bank.addToBalance(ca, 1, -10);
                H2Bank.addToBalance(cb, 1, 10);
            }
            tm.commit();
        }
        assertThat(H2Bank.balance(urlA, 1)).isEqualTo(80);
        assertThat(H2Bank.balance(urlB, 1)).isEqualTo(120);
        assertThat(branchThreadStarted()).as("AUTO stays serial for embedded H2").isFalse();
    }
}
