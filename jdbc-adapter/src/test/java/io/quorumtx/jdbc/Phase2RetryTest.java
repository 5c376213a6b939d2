package io.quorumtx.jdbc;

import static io.quorumtx.testsupport.H2Bank.addToBalance;
import static io.quorumtx.testsupport.H2Bank.balance;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.testing.Phase2Faults;
import io.quorumtx.jdbc.testing.Wrapped.Style;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A phase-2 commit that fails after the decision: the transaction manager keeps the decision and
 * retries, and the wrapped DataSource keeps the connection with its prepared branch (rather than
 * returning it to a pool that would roll it back, or closing an H2 XAConnection, which also rolls
 * it back) until the retry has committed it; then the connection goes back to the pool.
 */
class Phase2RetryTest {

    @TempDir
    Path directory;

    private QuorumTransactionManager tm;
    private TransactionalDataSource bankA;
    private TransactionalDataSource bankB;
    private HikariDataSource poolA;
    private HikariDataSource poolB;

    @AfterEach
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {bankA, bankB, poolA, poolB, tm}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void aFailedPhase2CommitIsRetriedOnTheSameConnectionWhichThenReturnsToThePool(Style style) throws Exception {
        String urlA = H2Bank.url(directory, "a");
        String urlB = H2Bank.url(directory, "b");
        H2Bank.createAccounts(urlA, 100);
        H2Bank.createAccounts(urlB, 100);
        tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(directory.resolve("log"))
                .phase2Retry(Duration.ofMillis(20), Duration.ofMillis(200)).build();
        Phase2Faults faults = new Phase2Faults();
        bankA = wrap(style, "bank-a", urlA, null);
        bankB = wrap(style, "bank-b", urlB, faults);
        HikariDataSource pool = bankB.unwrap(HikariDataSource.class);

        faults.failNextCommits(1);
        tm.begin();
        try (Connection a = bankA.getConnection(); Connection b = bankB.getConnection()) {
            addToBalance(a, 1, -30);
            addToBalance(b, 1, 30);
        }
        tm.commit(); // decided: the failed branch is retried, not reported as a failed commit

        Poll.until("the retry commits bank-b's branch", Duration.ofSeconds(10), () -> balance(urlB, 1) == 130);
        Poll.until("bank-b's connection is back in the pool", Duration.ofSeconds(10),
                () -> pool.getHikariPoolMXBean().getActiveConnections() == 0);
        assertThat(balance(urlA, 1)).isEqualTo(70);
        assertThat(inDoubt(urlB)).isZero();

        tm.begin();
        try (Connection b = bankB.getConnection()) {
            addToBalance(b, 1, 1);
        }
        tm.commit();
        assertThat(balance(urlB, 1)).as("the pool still serves working connections").isEqualTo(131);
    }

    @org.junit.jupiter.api.Test
    void aPhase2CommitWhoseConnectionWasLostIsFinishedThroughARecoveryConnection() throws Exception {
        String urlA = H2Bank.url(directory, "a");
        String urlB = H2Bank.url(directory, "b");
        H2Bank.createAccounts(urlA, 100);
        H2Bank.createAccounts(urlB, 100);
        tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(directory.resolve("log"))
                .phase2Retry(Duration.ofMillis(20), Duration.ofMillis(200)).build();
        Phase2Faults faults = new Phase2Faults();
        bankA = wrap(Style.DIALECT, "bank-a", urlA, null);
        bankB = wrap(Style.DIALECT, "bank-b", urlB, faults);

        faults.failNextCommits(1, "08006"); // HikariCP evicts the connection, leaving the branch in doubt
        tm.begin();
        try (Connection a = bankA.getConnection(); Connection b = bankB.getConnection()) {
            addToBalance(a, 1, -30);
            addToBalance(b, 1, 30);
        }
        tm.commit();

        Poll.until("a retry commits bank-b's branch", Duration.ofSeconds(10), () -> balance(urlB, 1) == 130);
        Poll.until("nothing left in doubt", Duration.ofSeconds(10), () -> inDoubt(urlB) == 0);
        assertThat(balance(urlA, 1)).isEqualTo(70);
        // The retrier returns its recovery connection only after it has forced the branch's records.
        Poll.until("the recovery connection is back in the pool", Duration.ofSeconds(10),
                () -> poolB.getHikariPoolMXBean().getActiveConnections() == 0);
    }

    @org.junit.jupiter.api.Test
    void anH2XaBranchWhoseConnectionKeepsFailingIsNotRolledBackByEvictionAndRecoveryCommitsIt() throws Exception {
        String urlA = H2Bank.url(directory, "a");
        String urlB = H2Bank.url(directory, "b");
        H2Bank.createAccounts(urlA, 100);
        H2Bank.createAccounts(urlB, 100);
        tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(directory.resolve("log"))
                .phase2Retry(Duration.ofMillis(20), Duration.ofMillis(200)).build();
        Phase2Faults faults = new Phase2Faults();
        bankA = wrap(Style.XA, "bank-a", urlA, null);
        bankB = wrap(Style.XA, "bank-b", urlB, faults);

        faults.failNextCommits(2); // the commit and the first retry through the same connection
        tm.begin();
        try (Connection a = bankA.getConnection(); Connection b = bankB.getConnection()) {
            addToBalance(a, 1, -30);
            addToBalance(b, 1, 30);
        }
        tm.commit();

        Poll.until("recovery commits bank-b's branch", Duration.ofSeconds(10), () -> balance(urlB, 1) == 130);
        Poll.until("nothing left in doubt", Duration.ofSeconds(10), () -> inDoubt(urlB) == 0);
        assertThat(balance(urlA, 1)).isEqualTo(70);
    }

    private TransactionalDataSource wrap(Style style, String name, String url, Phase2Faults faults) {
        TransactionalDataSource.Builder builder = TransactionalDataSource.builder(tm).name(name);
        if (style == Style.XA) {
            javax.sql.XADataSource xa = H2Bank.xaDataSource(url);
            return builder.xaDataSource(faults == null ? xa : faults.xa(xa)).maximumPoolSize(2).build();
        }
        HikariConfig config = new HikariConfig();
        org.h2.jdbcx.JdbcDataSource h2 = H2Bank.xaDataSource(url);
        config.setDataSource(faults == null ? h2 : faults.dialect(h2));
        config.setMaximumPoolSize(2);
        HikariDataSource pool = new HikariDataSource(config);
        if (name.equals("bank-a")) {
            poolA = pool;
        } else {
            poolB = pool;
        }
        return builder.dataSource(pool).dialect(Dialect.h2()).build();
    }

    private static int inDoubt(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "sa", "");
             ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.IN_DOUBT")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
