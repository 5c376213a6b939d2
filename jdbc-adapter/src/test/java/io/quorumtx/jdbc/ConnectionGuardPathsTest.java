package io.quorumtx.jdbc;

import static io.quorumtx.testsupport.H2Bank.addToBalance;
import static io.quorumtx.testsupport.H2Bank.balance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.jdbc.testing.Wrapped.Style;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every way JDBC offers back to a connection (statements, prepared and callable statements,
 * result sets, metadata, unwrapping to a JDBC interface) leads to the enlisted handle, which
 * refuses to end the transaction; the transaction then still ends atomically in two databases.
 */
class ConnectionGuardPathsTest {

    private static final String REFUSED =
            "connection is enlisted in a QuorumTX transaction; commit or roll back through the TransactionManager";
    private static final String SELECT = "SELECT balance FROM account WHERE id = 1";

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

    @ParameterizedTest
    @EnumSource(Style.class)
    void endingTheTransactionThroughAStatementsConnectionIsRefusedAndTheTransferStillCommitsInBoth(Style style)
            throws Exception {
        wrap(style);

        tm.begin();
        Connection a = bankA.dataSource().getConnection();
        Connection b = bankB.dataSource().getConnection();
        addToBalance(a, 1, -30);
        addToBalance(b, 1, 30);
        tryToEndTheTransactionThroughEveryPath(a, b);
        tm.commit();

        assertThat(balance(urlA, 1)).isEqualTo(70);
        assertThat(balance(urlB, 1)).isEqualTo(130);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void endingTheTransactionThroughAStatementsConnectionIsRefusedAndTheTransferStillRollsBackInBoth(Style style)
            throws Exception {
        wrap(style);

        tm.begin();
        Connection a = bankA.dataSource().getConnection();
        Connection b = bankB.dataSource().getConnection();
        addToBalance(a, 1, -30);
        addToBalance(b, 1, 30);
        tryToEndTheTransactionThroughEveryPath(a, b);
        tm.rollback();

        assertThat(balance(urlA, 1)).as("no branch committed on its own").isEqualTo(100);
        assertThat(balance(urlB, 1)).as("no branch committed on its own").isEqualTo(100);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void unwrappingToAJdbcInterfaceKeepsTheGuard(Style style) throws Exception {
        wrap(style);

        tm.begin();
        Connection a = bankA.dataSource().getConnection();
        addToBalance(a, 1, 5);
        try (Statement s = a.createStatement(); PreparedStatement ps = a.prepareStatement(SELECT)) {
            assertThat(a.unwrap(Connection.class)).isSameAs(a);
            assertRefused(() -> s.unwrap(Statement.class).getConnection().commit());
            assertRefused(() -> ps.unwrap(PreparedStatement.class).getConnection().commit());
            assertRefused(() -> a.getMetaData().unwrap(DatabaseMetaData.class).getConnection().commit());
        }
        tm.rollback();

        assertThat(balance(urlA, 1)).isEqualTo(100);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void aStatementLeadsBackToTheConnectionItCameFromInsideAndOutsideATransaction(Style style) throws Exception {
        wrap(style);

        tm.begin();
        try (Connection enlisted = bankA.dataSource().getConnection(); Statement s = enlisted.createStatement()) {
            assertThat(s.getConnection()).isSameAs(enlisted);
            s.executeUpdate("UPDATE account SET balance = balance + 1 WHERE id = 1");
        }
        tm.commit();

        try (Connection c = bankA.dataSource().getConnection(); Statement s = c.createStatement()) {
            assertThat(s.getConnection()).as("outside a transaction: the pool's connection").isSameAs(c);
            s.getConnection().setAutoCommit(false);
            s.executeUpdate("UPDATE account SET balance = balance + 4 WHERE id = 1");
            assertThat(balance(urlA, 1)).as("not committed yet").isEqualTo(101);
            s.getConnection().commit();
        }
        assertThat(balance(urlA, 1)).as("committed through the statement's connection").isEqualTo(105);
        assertThat(bankA.activeConnections()).isZero();
    }

    private void tryToEndTheTransactionThroughEveryPath(Connection a, Connection b) throws SQLException {
        try (Statement s = a.createStatement(); PreparedStatement ps = b.prepareStatement(SELECT);
             CallableStatement cs = a.prepareCall(SELECT)) {
            assertRefused(() -> s.getConnection().commit());
            assertRefused(() -> ps.getConnection().rollback());
            assertRefused(() -> cs.getConnection().commit());
            assertRefused(() -> a.getMetaData().getConnection().setAutoCommit(true));
            try (ResultSet rs = s.executeQuery(SELECT)) {
                assertRefused(() -> rs.getStatement().getConnection().commit());
            }
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).as("the query ran in the transaction").isEqualTo(130);
                assertRefused(() -> rs.getStatement().getConnection().rollback());
            }
            assertThat(s.execute(SELECT)).isTrue();
            assertRefused(() -> s.getResultSet().getStatement().getConnection().commit());
        }
    }

    private static void assertRefused(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(SQLException.class).hasMessageContaining(REFUSED);
    }
}
