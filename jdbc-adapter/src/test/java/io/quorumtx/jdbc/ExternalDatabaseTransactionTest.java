package io.quorumtx.jdbc;

import static io.quorumtx.testsupport.H2Bank.addToBalance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.function.Function;
import javax.sql.XADataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A transfer between PostgreSQL or MariaDB and an H2 file database, with the external database
 * wrapped in either style. Skips when the server is absent (fails when databases are required).
 * PostgreSQL with max_prepared_transactions = 0 must be refused at enlistment with the message
 * that says what to set; above 0 the transfer must commit and roll back atomically.
 */
class ExternalDatabaseTransactionTest {

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

    private QuorumTransactionManager tm;
    private String h2Url;
    private Wrapped h2;
    private ExternalDatabases.Server server;
    private TransactionalDataSource external;
    private HikariDataSource externalPool;
    private final String table = "acct_" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void start() throws SQLException {
        tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(directory.resolve("log")).build();
        h2Url = H2Bank.url(directory, "h2");
        H2Bank.createAccounts(h2Url, 100);
        h2 = Wrapped.of(Wrapped.Style.DIALECT, tm, "h2-bank", h2Url);
    }

    @AfterEach
    void stop() throws SQLException {
        if (external != null) {
            external.close();
        }
        if (externalPool != null) {
            externalPool.close();
        }
        if (server != null) {
            try (Connection c = server.open(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + table);
            }
        }
        h2.close();
        tm.close();
    }

    private void connect(Case c) throws SQLException {
        server = c.postgresql() ? ExternalDatabases.Server.POSTGRESQL.require() : ExternalDatabases.mariadb();
        try (Connection conn = server.open(); Statement s = conn.createStatement()) {
            s.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY, balance INT NOT NULL)");
            s.execute("INSERT INTO " + table + " VALUES (1, 100)");
        }
        TransactionalDataSource.Builder builder = TransactionalDataSource.builder(tm).name("external");
        if (c.xa()) {
            Function<String, XADataSource> xa = c.postgresql() ? ExternalDatabaseTransactionTest::pgXa
                    : ExternalDatabaseTransactionTest::mariaDbXa;
            external = builder.xaDataSource(xa.apply(server.url())).maximumPoolSize(2).build();
        } else {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(server.url());
            config.setMaximumPoolSize(2);
            externalPool = new HikariDataSource(config);
            external = builder.dataSource(externalPool)
                    .dialect(c.postgresql() ? Dialect.postgresql() : Dialect.mysql()).build();
        }
    }

    private static XADataSource pgXa(String url) {
        org.postgresql.xa.PGXADataSource xa = new org.postgresql.xa.PGXADataSource();
        xa.setUrl(url);
        return xa;
    }

    private static XADataSource mariaDbXa(String url) {
        try {
            return new org.mariadb.jdbc.MariaDbDataSource(url);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private int externalBalance() throws SQLException {
        try (Connection c = server.open(); Statement s = c.createStatement();
             var rs = s.executeQuery("SELECT balance FROM " + table + " WHERE id = 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private void transfer(int amount) throws Exception {
        try (Connection e = external.getConnection(); Connection h = h2.dataSource().getConnection();
             Statement s = e.createStatement()) {
            s.executeUpdate("UPDATE " + table + " SET balance = balance - " + amount + " WHERE id = 1");
            addToBalance(h, 1, amount);
        }
    }

    @ParameterizedTest
    @EnumSource(Case.class)
    void aTransferWithAnExternalDatabaseIsAtomicOrRefusedWithWhatToSet(Case c) throws Exception {
        connect(c);
        if (c.postgresql() && server.maxPreparedTransactions() == 0) {
            tm.begin();
            assertThatThrownBy(external::getConnection).isInstanceOf(SQLException.class)
                    .hasMessageContaining("PostgreSQL at jdbc:postgresql://127.0.0.1:5432/quorumtx")
                    .hasMessageContaining("has max_prepared_transactions = 0, which disables two-phase commit;"
                            + " set it above 0 (e.g. ALTER SYSTEM SET max_prepared_transactions = 64) and restart PostgreSQL");
            tm.rollback();
            return;
        }

        tm.begin();
        transfer(30);
        tm.commit();
        assertThat(externalBalance()).isEqualTo(70);
        assertThat(H2Bank.balance(h2Url, 1)).isEqualTo(130);

        tm.begin();
        transfer(50);
        tm.rollback();
        assertThat(externalBalance()).isEqualTo(70);
        assertThat(H2Bank.balance(h2Url, 1)).isEqualTo(130);

        for (int i = 0; i < 10; i++) {
            tm.begin();
            transfer(1);
            tm.commit();
        }
        assertThat(externalBalance() + H2Bank.balance(h2Url, 1)).isEqualTo(200);

        tm.begin(); // the external branch only reads
        try (Connection e = external.getConnection(); Connection h = h2.dataSource().getConnection();
             Statement s = e.createStatement(); var rs = s.executeQuery("SELECT balance FROM " + table + " WHERE id = 1")) {
            rs.next();
            addToBalance(h, 1, rs.getInt(1) > 0 ? 1 : 0);
        }
        tm.commit();
        assertThat(H2Bank.balance(h2Url, 1)).isEqualTo(141);
        assertThat(external.unwrap(HikariDataSource.class).getHikariPoolMXBean().getActiveConnections()).isZero();
    }
}
