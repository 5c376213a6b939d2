package io.quorumtx.jdbc;

import static io.quorumtx.testsupport.H2Bank.addToBalance;
import static io.quorumtx.testsupport.H2Bank.balance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.jdbc.testing.Wrapped.Style;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SQL that would end, begin or nest the transaction, or commit it implicitly, sent through an
 * enlisted handle of one of two H2 databases: refused through every JDBC path, so that the
 * transaction manager's rollback still leaves neither database changed. Before the guard, one
 * database kept its row (issue 11, finding 7). Outside a transaction the same SQL runs as before.
 */
class SqlTransactionControlTest {

    static final String REFUSED_STATE = "25000";

    /** One JDBC path by which SQL reaches the database. */
    interface Path2 {
        void send(Connection c, String sql) throws SQLException;
    }

    @SuppressWarnings("ImmutableEnumChecker") // test-only enum; Path2 is a stateless strategy, never mutated
    enum Route {
        EXECUTE((c, sql) -> {
            try (Statement s = c.createStatement()) {
                s.execute(sql);
            }
        }),
        EXECUTE_UPDATE((c, sql) -> {
            try (Statement s = c.createStatement()) {
                s.executeUpdate(sql);
            }
        }),
        EXECUTE_LARGE_UPDATE((c, sql) -> {
            try (Statement s = c.createStatement()) {
                s.executeLargeUpdate(sql);
            }
        }),
        EXECUTE_QUERY((c, sql) -> {
            try (Statement s = c.createStatement()) {
                s.executeQuery(sql).close();
            }
        }),
        BATCH((c, sql) -> {
            try (Statement s = c.createStatement()) {
                s.addBatch("UPDATE account SET balance = balance WHERE id = 1");
                s.addBatch(sql);
                s.executeBatch();
            }
        }),
        PREPARED((c, sql) -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.execute();
            }
        }),
        CALLABLE((c, sql) -> {
            try (CallableStatement cs = c.prepareCall(sql)) {
                cs.execute();
            }
        });

        final Path2 path;

        Route(Path2 path) {
            this.path = path;
        }
    }

    @TempDir
    Path directory;

    private QuorumTransactionManager tm;
    private String urlA;
    private String urlB;
    private Wrapped bankA;
    private Wrapped bankB;

    @BeforeEach
    void start() throws SQLException {
        tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(directory.resolve("log")).build();
        urlA = H2Bank.url(directory, "a");
        urlB = H2Bank.url(directory, "b");
        H2Bank.createAccounts(urlA, 100);
        H2Bank.createAccounts(urlB, 100);
    }

    @AfterEach
    void stop() {
        if (bankA != null) {
            bankA.close();
        }
        if (bankB != null) {
            bankB.close();
        }
        tm.close();
    }

    private void wrap(Style style) throws SQLException {
        bankA = Wrapped.of(style, tm, "bank-a", urlA);
        bankB = Wrapped.of(style, tm, "bank-b", urlB);
    }

    static Stream<Arguments> routesAndStatements() {
        Stream.Builder<Arguments> all = Stream.builder();
        for (Style style : Style.values()) {
            for (Route route : Route.values()) {
                all.add(Arguments.of(style, route, "COMMIT"));
            }
            all.add(Arguments.of(style, Route.EXECUTE, "/* the end */ commit work"));
            all.add(Arguments.of(style, Route.EXECUTE, "UPDATE account SET balance = balance WHERE id = 1; COMMIT"));
            all.add(Arguments.of(style, Route.EXECUTE, "CREATE TABLE audit (id INT)"));
            all.add(Arguments.of(style, Route.EXECUTE_UPDATE, "SET AUTOCOMMIT TRUE"));
            all.add(Arguments.of(style, Route.EXECUTE_UPDATE, "TRUNCATE TABLE account"));
            all.add(Arguments.of(style, Route.PREPARED, "ALTER TABLE account ADD COLUMN note VARCHAR(20)"));
        }
        return all.build();
    }

    @ParameterizedTest(name = "{0} {1}: {2}")
    @MethodSource("routesAndStatements")
    void sqlThatWouldCommitOneBranchIsRefusedAndTheRollbackLeavesNeitherDatabaseChanged(Style style, Route route,
            String sql) throws Exception {
        wrap(style);

        tm.begin();
        Connection a = bankA.dataSource().getConnection();
        Connection b = bankB.dataSource().getConnection();
        addToBalance(a, 1, -30);
        addToBalance(b, 1, 30);
        Throwable refusal = catchThrowable(() -> route.path.send(a, sql));
        tm.rollback();

        assertThat(balance(urlA, 1)).as("bank-a after the transaction manager's rollback").isEqualTo(100);
        assertThat(balance(urlB, 1)).as("bank-b after the transaction manager's rollback").isEqualTo(100);
        assertThat(refusal).as("the refusal of " + sql).isInstanceOf(SQLException.class)
                .hasMessageContaining("refused on a connection enlisted in a QuorumTX transaction")
                .hasMessageContaining("TransactionManager");
        assertThat(((SQLException) refusal).getSQLState()).isEqualTo(REFUSED_STATE);
    }

    /** H2 2.4 commits the open transaction on setTransactionIsolation, even to the level it has. */
    @ParameterizedTest
    @EnumSource(Style.class)
    void changingTheIsolationLevelOfAnEnlistedH2ConnectionIsRefusedBecauseH2WouldCommit(Style style) throws Exception {
        wrap(style);

        tm.begin();
        Connection a = bankA.dataSource().getConnection();
        Connection b = bankB.dataSource().getConnection();
        addToBalance(a, 1, -30);
        addToBalance(b, 1, 30);
        int level = a.getTransactionIsolation();
        Throwable sameLevel = catchThrowable(() -> a.setTransactionIsolation(level));
        int other = level == Connection.TRANSACTION_SERIALIZABLE ? Connection.TRANSACTION_READ_COMMITTED
                : Connection.TRANSACTION_SERIALIZABLE;
        Throwable refusal = catchThrowable(() -> a.setTransactionIsolation(other));
        tm.rollback();

        assertThat(balance(urlA, 1)).as("bank-a after the transaction manager's rollback").isEqualTo(100);
        assertThat(balance(urlB, 1)).as("bank-b after the transaction manager's rollback").isEqualTo(100);
        assertThat(sameLevel).as("the level it already has: nothing to change").isNull();
        assertThat(refusal).isInstanceOf(SQLException.class).hasMessageContaining("setTransactionIsolation")
                .hasMessageContaining("H2 commits the open transaction");
        assertThat(((SQLException) refusal).getSQLState()).isEqualTo(REFUSED_STATE);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void ordinarySqlAndTransactionalSettingsStillRunOnAnEnlistedConnection(Style style) throws Exception {
        wrap(style);

        tm.begin();
        try (Connection a = bankA.dataSource().getConnection(); Statement s = a.createStatement()) {
            s.execute("/* a comment */ UPDATE account SET balance = balance - 1 WHERE id = 1");
            s.execute("SELECT 'COMMIT' AS commit_log FROM account");
            s.execute("SET LOCK_TIMEOUT 5000");
            s.execute("CHECKPOINT");
            try (PreparedStatement ps = a.prepareStatement("UPDATE account SET balance = balance - ? WHERE id = 1")) {
                ps.setInt(1, 1);
                ps.addBatch();
                ps.executeBatch();
            }
        }
        tm.commit();

        assertThat(balance(urlA, 1)).isEqualTo(98);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void outsideATransactionTheSameSqlRunsAsBefore(Style style) throws Exception {
        wrap(style);

        try (Connection c = bankA.dataSource().getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.executeUpdate("UPDATE account SET balance = balance + 7 WHERE id = 1");
            s.execute("COMMIT");
            s.execute("CREATE TABLE audit (id INT)");
            c.setAutoCommit(true);
        }

        assertThat(balance(urlA, 1)).as("committed by the SQL COMMIT on the pool's connection").isEqualTo(107);
    }
}
