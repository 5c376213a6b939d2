package io.quorumtx.jdbc;

import static io.quorumtx.testsupport.H2Bank.addToBalance;
import static io.quorumtx.testsupport.H2Bank.balance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Style (b) over a DataSource that is not a pool at all: each transaction opens and closes its own connections. */
class UnpooledDataSourceTest {

    @TempDir
    Path directory;

    @Test
    void transactionsCommitRollBackAndCloseTheirConnectionsWithoutAPool() throws Exception {
        String urlA = H2Bank.url(directory, "a");
        String urlB = H2Bank.url(directory, "b");
        H2Bank.createAccounts(urlA, 100);
        H2Bank.createAccounts(urlB, 100);
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1")
                .logDirectory(directory.resolve("log")).build();
             TransactionalDataSource a = TransactionalDataSource.builder(tm).name("a")
                     .dataSource(H2Bank.xaDataSource(urlA)).dialect(Dialect.h2()).build();
             TransactionalDataSource b = TransactionalDataSource.builder(tm).name("b")
                     .dataSource(H2Bank.xaDataSource(urlB)).dialect(Dialect.h2()).build()) {
            Connection physical;
            tm.begin();
            try (Connection ca = a.getConnection(); Connection cb = b.getConnection()) {
                addToBalance(ca, 1, -10);
                addToBalance(cb, 1, 10);
                physical = ca.unwrap(org.h2.jdbc.JdbcConnection.class);
            }
            tm.commit();
            assertThat(physical.isClosed()).as("closed when its transaction completed").isTrue();

            tm.begin();
            try (Connection ca = a.getConnection(); Connection cb = b.getConnection()) {
                addToBalance(ca, 1, -10);
                addToBalance(cb, 1, 10);
            }
            tm.rollback();

            tm.begin();
            Connection broken = a.getConnection();
            addToBalance(broken, 1, -10);
            broken.unwrap(org.h2.jdbc.JdbcConnection.class).close();
            try (Connection cb = b.getConnection()) {
                addToBalance(cb, 1, 10);
            }
            assertThatThrownBy(tm::commit).isInstanceOf(Exception.class);

            assertThat(balance(urlA, 1)).isEqualTo(90);
            assertThat(balance(urlB, 1)).isEqualTo(110);
            try (Connection c = java.sql.DriverManager.getConnection(urlA, "sa", "");
                 ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS")) {
                rs.next();
                assertThat(rs.getInt(1)).as("only this session: none leaked").isEqualTo(1);
            }
        }
    }
}
