package io.quorumtx.jdbc;

import static io.quorumtx.testsupport.H2Bank.addToBalance;
import static io.quorumtx.testsupport.H2Bank.balance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.jdbc.testing.Wrapped.Style;
import io.quorumtx.tm.QuorumTransactionManager;
import jakarta.transaction.RollbackException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Money moved between two H2 file databases in one transaction: all of it or none of it. */
class TwoDatabaseTransactionTest {

    @TempDir
    Path directory;

    private QuorumTransactionManager tm;
    private String urlA;
    private String urlB;
    private Wrapped bankA;
    private Wrapped bankB;

    static Stream<Arguments> styles() {
        return Stream.of(Arguments.of(Style.XA, Style.XA), Arguments.of(Style.DIALECT, Style.DIALECT),
                Arguments.of(Style.XA, Style.DIALECT));
    }

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

    private void wrap(Style a, Style b) throws SQLException {
        bankA = Wrapped.of(a, tm, "bank-a", urlA);
        bankB = Wrapped.of(b, tm, "bank-b", urlB);
    }

    private void transfer(int amount) throws Exception {
        try (Connection a = bankA.dataSource().getConnection(); Connection b = bankB.dataSource().getConnection()) {
            addToBalance(a, 1, -amount);
            addToBalance(b, 1, amount);
        }
    }

    @ParameterizedTest
    @MethodSource("styles")
    void aTransferCommitsInBothDatabases(Style a, Style b) throws Exception {
        wrap(a, b);

        tm.begin();
        transfer(30);
        tm.commit();

        assertThat(balance(urlA, 1)).isEqualTo(70);
        assertThat(balance(urlB, 1)).isEqualTo(130);
        assertThat(inDoubt(urlA) + inDoubt(urlB)).as("no branch left prepared").isZero();
        assertThat(bankA.activeConnections() + bankB.activeConnections()).isZero();
    }

    @ParameterizedTest
    @MethodSource("styles")
    void aRolledBackTransferChangesNeitherDatabase(Style a, Style b) throws Exception {
        wrap(a, b);

        tm.begin();
        transfer(30);
        tm.rollback();

        assertThat(balance(urlA, 1)).isEqualTo(100);
        assertThat(balance(urlB, 1)).isEqualTo(100);
        assertThat(bankA.activeConnections() + bankB.activeConnections()).isZero();
    }

    @ParameterizedTest
    @MethodSource("styles")
    void aFailureInTheSecondDatabaseUndoesTheFirst(Style a, Style b) throws Exception {
        wrap(a, b);

        tm.begin();
        try (Connection c = bankB.dataSource().getConnection()) {
            addToBalance(c, 1, 5);
        }
        assertThatThrownBy(() -> transfer(500)).as("account A would go negative").isInstanceOf(SQLException.class);
        tm.setRollbackOnly();
        assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class);

        assertThat(balance(urlA, 1)).isEqualTo(100);
        assertThat(balance(urlB, 1)).isEqualTo(100);
        assertThat(bankA.activeConnections() + bankB.activeConnections()).isZero();
    }

    @ParameterizedTest
    @MethodSource("styles")
    void manyTransfersConserveTheTotal(Style a, Style b) throws Exception {
        wrap(a, b);

        for (int i = 0; i < 40; i++) {
            tm.begin();
            transfer(i % 2 == 0 ? 3 : -2);
            if (i % 5 == 4) {
                tm.rollback();
            } else {
                tm.commit();
            }
        }

        long balanceA = balance(urlA, 1);
        long balanceB = balance(urlB, 1);
        assertThat(balanceA + balanceB).isEqualTo(200);
        assertThat(balanceA).isEqualTo(100 - (16 * 3 - 16 * 2));
        assertThat(bankA.activeConnections() + bankB.activeConnections()).isZero();
    }

    @ParameterizedTest
    @MethodSource("styles")
    void aBranchThatOnlyReadsCommitsAlongsideOneThatWrites(Style a, Style b) throws Exception {
        wrap(a, b);

        tm.begin();
        try (Connection reader = bankA.dataSource().getConnection(); Connection writer = bankB.dataSource().getConnection()) {
            assertThat(H2Bank.readBalance(reader, 1)).isEqualTo(100);
            addToBalance(writer, 1, 8);
        }
        tm.commit();

        assertThat(balance(urlB, 1)).isEqualTo(108);
        assertThat(inDoubt(urlA) + inDoubt(urlB)).isZero();
        assertThat(bankA.activeConnections() + bankB.activeConnections()).isZero();
        tm.begin();
        try (Connection c = bankA.dataSource().getConnection()) {
            addToBalance(c, 1, 1);
        }
        tm.commit();
        assertThat(balance(urlA, 1)).as("the reader's connection is healthy afterwards").isEqualTo(101);
    }

    private static int inDoubt(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.IN_DOUBT")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
