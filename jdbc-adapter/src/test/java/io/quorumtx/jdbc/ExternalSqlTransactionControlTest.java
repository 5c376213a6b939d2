package io.quorumtx.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.testing.Wrapped.Style;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The measured scenario of issue 11, finding 7, on PostgreSQL plus MariaDB in one transaction,
 * both wrapped in either style: SQL that would commit one branch on its own, sent through an
 * enlisted handle, is refused, and the transaction manager's rollback leaves neither database
 * changed. Skips when the servers are absent (fails when databases are required).
 */
class ExternalSqlTransactionControlTest {

    enum Target { POSTGRESQL, MARIADB }

    @TempDir
    Path directory;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final String table = "sqlguard_" + UUID.randomUUID().toString().substring(0, 8);
    private ExternalDatabases.Server pg;
    private ExternalDatabases.Server maria;

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> all = Stream.builder();
        for (Style style : Style.values()) {
            all.add(Arguments.of(style, Target.POSTGRESQL, "COMMIT"));
            all.add(Arguments.of(style, Target.POSTGRESQL, "UPDATE %s SET balance = balance + 1 WHERE id = 1; COMMIT"));
            all.add(Arguments.of(style, Target.POSTGRESQL, "END"));
            all.add(Arguments.of(style, Target.MARIADB, "COMMIT"));
            all.add(Arguments.of(style, Target.MARIADB, "CREATE TABLE %s_x (a INT)"));
        }
        return all.build();
    }

    @ParameterizedTest(name = "{0} {1}: {2}")
    @MethodSource("cases")
    void sqlThatWouldCommitOneBranchIsRefusedAndTheRollbackLeavesNeitherDatabaseChanged(Style style, Target target,
            String sqlPattern) throws Exception {
        QuorumTransactionManager tm = start();
        TransactionalDataSource pgData = wrap(style, tm, "pg", pg, Dialect.postgresql());
        TransactionalDataSource mariaData = wrap(style, tm, "maria", maria, Dialect.mysql());
        String sql = sqlPattern.replace("%s", table);

        tm.begin();
        Throwable refusal;
        try (Connection p = pgData.getConnection(); Connection m = mariaData.getConnection();
             Statement ps = p.createStatement(); Statement ms = m.createStatement()) {
            ps.executeUpdate("UPDATE " + table + " SET balance = balance - 30 WHERE id = 1");
            ms.executeUpdate("UPDATE " + table + " SET balance = balance + 30 WHERE id = 1");
            Statement chosen = target == Target.POSTGRESQL ? ps : ms;
            refusal = catchThrowable(() -> chosen.execute(sql));
        }
        tm.rollback();

        assertThat(balance(pg)).as("PostgreSQL after the transaction manager's rollback").isEqualTo(100);
        assertThat(balance(maria)).as("MariaDB after the transaction manager's rollback").isEqualTo(100);
        assertThat(refusal).as("the refusal of " + sql).isInstanceOf(SQLException.class)
                .hasMessageContaining("refused on a connection enlisted in a QuorumTX transaction");
        assertThat(((SQLException) refusal).getSQLState()).isEqualTo("25000");
    }

    private QuorumTransactionManager start() throws SQLException {
        pg = ExternalDatabases.postgresql();
        maria = ExternalDatabases.mariadb();
        for (ExternalDatabases.Server server : List.of(pg, maria)) {
            execute(server, "CREATE TABLE " + table + " (id INT PRIMARY KEY, balance INT NOT NULL)",
                    "INSERT INTO " + table + " VALUES (1, 100)");
            open.add(() -> execute(server, "DROP TABLE IF EXISTS " + table, "DROP TABLE IF EXISTS " + table + "_x"));
        }
        QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1")
                .logDirectory(directory.resolve("log")).build();
        open.add(tm);
        return tm;
    }

    private TransactionalDataSource wrap(Style style, QuorumTransactionManager tm, String name,
            ExternalDatabases.Server server, Dialect dialect) throws SQLException {
        TransactionalDataSource.Builder builder = TransactionalDataSource.builder(tm).name(name);
        TransactionalDataSource ds;
        if (style == Style.XA) {
            ds = builder.xaDataSource(server == pg ? pgXa(server.url()) : new org.mariadb.jdbc.MariaDbDataSource(server.url()))
                    .maximumPoolSize(2).build();
        } else {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(server.url());
            config.setMaximumPoolSize(2);
            HikariDataSource pool = new HikariDataSource(config);
            open.add(pool);
            ds = builder.dataSource(pool).dialect(dialect).build();
        }
        open.add(ds);
        return ds;
    }

    private static org.postgresql.xa.PGXADataSource pgXa(String url) {
        org.postgresql.xa.PGXADataSource xa = new org.postgresql.xa.PGXADataSource();
        xa.setUrl(url);
        return xa;
    }

    private int balance(ExternalDatabases.Server server) throws SQLException {
        try (Connection c = server.open(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT balance FROM " + table + " WHERE id = 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void execute(ExternalDatabases.Server server, String... sql) throws SQLException {
        try (Connection c = server.open(); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }
}
