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
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** H2 file databases that acknowledge commits before they are on disk are refused unless the user opts in. */
class H2DurabilityCheckTest {

    @TempDir
    Path directory;

    private QuorumTransactionManager tm;
    private Wrapped bank;

    @BeforeEach
    void start() {
        tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(directory.resolve("log")).build();
    }

    @AfterEach
    void stop() {
        if (bank != null) {
            bank.close();
        }
        tm.close();
    }

    /** H2's default WRITE_DELAY is 500 ms. */
    private String defaultDelayUrl() throws SQLException {
        String url = "jdbc:h2:" + directory.resolve("lazy");
        H2Bank.createAccounts(url, 100);
        return url;
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void aFileDatabaseWithWriteDelayIsRefusedAtItsFirstEnlistment(Style style) throws Exception {
        String url = defaultDelayUrl();
        bank = Wrapped.of(style, tm, "lazy", url);

        tm.begin();
        assertThatThrownBy(() -> bank.dataSource().getConnection())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("WRITE_DELAY = 500")
                .hasMessageContaining("Add ;WRITE_DELAY=0 to the JDBC URL")
                .hasMessageContaining("allowNonDurableH2()")
                .hasMessageContaining("'lazy'");
        tm.rollback();
        assertThat(bank.activeConnections()).as("the refused connection went back to the pool").isZero();
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void outsideATransactionTheSameDatabaseIsServedAsThePoolServesIt(Style style) throws Exception {
        bank = Wrapped.of(style, tm, "lazy", defaultDelayUrl());

        try (Connection c = bank.dataSource().getConnection()) {
            addToBalance(c, 1, 1);
        }
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void optingInAcceptsANonDurableFileDatabase(Style style) throws Exception {
        String url = defaultDelayUrl();
        bank = Wrapped.of(style, tm, "lazy", url, TransactionalDataSource.Builder::allowNonDurableH2);

        tm.begin();
        try (Connection c = bank.dataSource().getConnection()) {
            addToBalance(c, 1, 4);
        }
        tm.commit();

        assertThat(balance(url, 1)).isEqualTo(104);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void anInMemoryDatabaseIsNotADurabilityQuestion(Style style) throws Exception {
        String url = "jdbc:h2:mem:durability-" + style + ";DB_CLOSE_DELAY=-1";
        H2Bank.createAccounts(url, 100);
        bank = Wrapped.of(style, tm, "memory", url);

        tm.begin();
        try (Connection c = bank.dataSource().getConnection()) {
            addToBalance(c, 1, 2);
        }
        tm.commit();

        assertThat(balance(url, 1)).isEqualTo(102);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void aDurableFileDatabaseIsAccepted(Style style) throws Exception {
        String url = H2Bank.url(directory, "durable");
        H2Bank.createAccounts(url, 100);
        bank = Wrapped.of(style, tm, "durable", url);

        tm.begin();
        try (Connection c = bank.dataSource().getConnection()) {
            addToBalance(c, 1, 2);
        }
        tm.commit();

        assertThat(balance(url, 1)).isEqualTo(102);
    }
}
