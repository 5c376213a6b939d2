package io.quorumtx.jdbc;

import static io.quorumtx.testsupport.H2Bank.addToBalance;
import static io.quorumtx.testsupport.H2Bank.balance;
import static io.quorumtx.testsupport.H2Bank.readBalance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.jdbc.testing.Wrapped.Style;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** One wrapped H2 file database under a real transaction manager, in both wrapping styles. */
class TransactionalDataSourceTest {

    @TempDir
    Path directory;

    private QuorumTransactionManager tm;
    private String url;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void start() throws SQLException {
        tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(directory.resolve("log")).build();
        url = H2Bank.url(directory, "bank");
        H2Bank.createAccounts(url, 100, 100);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        tm.close();
    }

    private Wrapped wrap(Style style) throws SQLException {
        Wrapped wrapped = Wrapped.of(style, tm, "bank", url);
        toClose.add(wrapped);
        return wrapped;
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void aConnectionTakenInsideATransactionIsEnlisted(Style style) throws Exception {
        Wrapped bank = wrap(style);

        tm.begin();
        try (Connection c = bank.dataSource().getConnection()) {
            addToBalance(c, 1, 5);
        }
        tm.rollback();
        assertThat(balance(url, 1)).as("rolled back with the transaction").isEqualTo(100);

        tm.begin();
        try (Connection c = bank.dataSource().getConnection()) {
            addToBalance(c, 1, 5);
        }
        assertThat(balance(url, 1)).as("not visible before commit").isEqualTo(100);
        tm.commit();
        assertThat(balance(url, 1)).isEqualTo(105);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void everyGetConnectionInATransactionUsesTheSamePhysicalConnection(Style style) throws Exception {
        Wrapped bank = wrap(style);

        tm.begin();
        Connection first = bank.dataSource().getConnection();
        addToBalance(first, 1, 7);
        Connection second = bank.dataSource().getConnection();

        assertThat(second).isNotSameAs(first);
        assertThat(readBalance(second, 1)).as("sees the first handle's uncommitted update").isEqualTo(107);
        assertThat(bank.activeConnections()).isEqualTo(1);
        tm.commit();
        assertThat(balance(url, 1)).isEqualTo(107);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void closingAHandleKeepsTheConnectionUntilTheTransactionCompletes(Style style) throws Exception {
        Wrapped bank = wrap(style);

        tm.begin();
        Connection first = bank.dataSource().getConnection();
        addToBalance(first, 1, 3);
        first.close();

        assertThat(first.isClosed()).isTrue();
        assertThat(bank.activeConnections()).as("still held by the transaction").isEqualTo(1);
        try (Connection again = bank.dataSource().getConnection()) {
            assertThat(readBalance(again, 1)).isEqualTo(103);
        }
        tm.commit();
        assertThat(bank.activeConnections()).as("released at completion").isZero();
        assertThat(balance(url, 1)).isEqualTo(103);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void endingTheTransactionThroughAnEnlistedConnectionIsRefused(Style style) throws Exception {
        Wrapped bank = wrap(style);

        tm.begin();
        Connection c = bank.dataSource().getConnection();
        addToBalance(c, 1, 1);

        String expected = "connection is enlisted in a QuorumTX transaction; commit or roll back through the TransactionManager";
        assertThatThrownBy(c::commit).isInstanceOf(SQLException.class).hasMessageContaining(expected);
        assertThatThrownBy(c::rollback).isInstanceOf(SQLException.class).hasMessageContaining(expected);
        assertThatThrownBy(() -> c.setAutoCommit(true)).isInstanceOf(SQLException.class).hasMessageContaining(expected);
        assertThat(c.getAutoCommit()).isFalse();
        c.setAutoCommit(false); // harmless: it already is

        assertThat(readBalance(c, 1)).as("the refused calls changed nothing").isEqualTo(101);
        tm.rollback();
        assertThat(balance(url, 1)).isEqualTo(100);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void outsideATransactionConnectionsAutoCommitLikeThePools(Style style) throws Exception {
        Wrapped bank = wrap(style);

        try (Connection c = bank.dataSource().getConnection()) {
            assertThat(c.getAutoCommit()).isTrue();
            addToBalance(c, 2, 9);
        }

        assertThat(balance(url, 2)).isEqualTo(109);
        assertThat(bank.activeConnections()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void aClosedHandleFailsClearly(Style style) throws Exception {
        Wrapped bank = wrap(style);

        tm.begin();
        Connection c = bank.dataSource().getConnection();
        c.close();
        c.close(); // idempotent

        assertThatThrownBy(c::createStatement).isInstanceOf(SQLException.class)
                .hasMessageContaining("connection handle is closed");
        tm.commit();
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void aHandleKeptAfterItsTransactionCompletedFailsClearly(Style style) throws Exception {
        Wrapped bank = wrap(style);

        tm.begin();
        Connection c = bank.dataSource().getConnection();
        addToBalance(c, 1, 1);
        tm.commit();

        assertThat(c.isClosed()).isTrue();
        assertThatThrownBy(c::createStatement).isInstanceOf(SQLException.class)
                .hasMessageContaining("transaction this connection was enlisted in has completed");
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void manyTransactionsLeaveNoConnectionBorrowed(Style style) throws Exception {
        Wrapped bank = wrap(style);

        for (int i = 0; i < 60; i++) {
            tm.begin();
            try (Connection a = bank.dataSource().getConnection(); Connection b = bank.dataSource().getConnection()) {
                addToBalance(a, 1, 1);
                addToBalance(b, 2, -1);
            }
            if (i % 3 == 0) {
                tm.rollback();
            } else {
                tm.commit();
            }
        }

        assertThat(bank.activeConnections()).isZero();
        assertThat(balance(url, 1)).isEqualTo(140);
        assertThat(balance(url, 2)).isEqualTo(60);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void closeUnregistersTheResourceAndRefusesNewConnections(Style style) throws Exception {
        Wrapped bank = wrap(style);
        assertThat(tm.registeredResource("bank")).isNotNull();

        bank.dataSource().close();

        assertThat(tm.registeredResource("bank")).isNull();
        assertThatThrownBy(() -> bank.dataSource().getConnection()).isInstanceOf(SQLException.class)
                .hasMessageContaining("'bank' is closed");
        if (style == Style.DIALECT) {
            assertThat(bank.pool().isClosed()).as("the caller's pool stays open").isFalse();
        } else {
            assertThat(bank.pool().isClosed()).as("the pool it built is closed").isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void aSuspendedTransactionKeepsItsConnectionAndGetsItBackOnResume(Style style) throws Exception {
        Wrapped bank = wrap(style);

        tm.begin();
        Connection enlisted = bank.dataSource().getConnection();
        addToBalance(enlisted, 1, 11);
        jakarta.transaction.Transaction suspended = tm.suspend();
        try (Connection outside = bank.dataSource().getConnection()) {
            assertThat(outside.getAutoCommit()).as("an ordinary pool connection").isTrue();
            assertThat(readBalance(outside, 2)).isEqualTo(100);
        }
        tm.resume(suspended);
        try (Connection again = bank.dataSource().getConnection()) {
            assertThat(readBalance(again, 1)).as("the suspended transaction's connection").isEqualTo(111);
        }
        tm.commit();

        assertThat(balance(url, 1)).isEqualTo(111);
        assertThat(bank.activeConnections()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void aRollbackOnlyTransactionCannotEnlistAndLeaksNoConnection(Style style) throws Exception {
        Wrapped bank = wrap(style);

        tm.begin();
        tm.setRollbackOnly();
        assertThatThrownBy(() -> bank.dataSource().getConnection()).isInstanceOf(SQLException.class)
                .hasMessageContaining("cannot enlist bank");
        tm.rollback();

        assertThat(bank.activeConnections()).isZero();
    }

    @org.junit.jupiter.api.Test
    void aConnectionThatBrokeDuringItsTransactionIsEvictedNotReturnedToThePool() throws Exception {
        Wrapped bank = wrap(Style.DIALECT);

        tm.begin();
        Connection c = bank.dataSource().getConnection();
        addToBalance(c, 1, 50);
        c.unwrap(org.h2.jdbc.JdbcConnection.class).close(); // the session dies under the transaction
        assertThatThrownBy(tm::commit).as("the branch cannot commit").isInstanceOf(Exception.class);

        assertThat(balance(url, 1)).isEqualTo(100);
        assertThat(bank.activeConnections()).isZero();
        tm.begin();
        try (Connection fresh = bank.dataSource().getConnection()) {
            addToBalance(fresh, 1, 1);
        }
        tm.commit();
        assertThat(balance(url, 1)).as("the pool serves a working connection").isEqualTo(101);
    }
}
