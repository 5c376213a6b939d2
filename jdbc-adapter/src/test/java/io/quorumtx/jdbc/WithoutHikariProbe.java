package io.quorumtx.jdbc;

import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Function;
import org.h2.jdbcx.JdbcDataSource;

/**
 * Runs inside {@link WithoutHikariTest}'s class loader, which has jdbc-adapter, tm-core, their
 * required dependencies and H2, but not HikariCP (unless the test adds it); reports what happened
 * as a string (the test's and this class's loaders share only the JDK's types). Uses H2's own
 * {@link JdbcDataSource} and plain JDBC only: the shared test helpers reach for HikariCP.
 */
public final class WithoutHikariProbe implements Function<Path, String> {

    @Override
    public String apply(Path directory) {
        StringBuilder report = new StringBuilder();
        JdbcDataSource a = h2(directory, "a");
        JdbcDataSource b = h2(directory, "b");
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1")
                .logDirectory(directory.resolve("log")).build()) {
            createAccount(a);
            createAccount(b);
            report.append("dialect: ").append(dialectStyle(tm, a, b)).append('\n');
            report.append("xa: ").append(xaStyle(tm, h2(directory, "c")));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return report.toString();
    }

    /** Style (b) over H2's plain DataSource: a two-phase commit, then a transaction whose connection breaks. */
    private static String dialectStyle(QuorumTransactionManager tm, JdbcDataSource a, JdbcDataSource b) {
        try (TransactionalDataSource ta = TransactionalDataSource.builder(tm).name("a").dataSource(a)
                     .dialect(Dialect.h2()).build();
             TransactionalDataSource tb = TransactionalDataSource.builder(tm).name("b").dataSource(b)
                     .dialect(Dialect.h2()).build()) {
            tm.begin();
            try (Connection ca = ta.getConnection(); Connection cb = tb.getConnection()) {
                add(ca, -10);
                add(cb, 10);
            }
            tm.commit();
            String committed = "committed, balances " + balance(a) + "/" + balance(b);

            // A connection that breaks inside the transaction is not given back to the pool for
            // reuse: the path that evicts it from a HikariCP pool must not need HikariCP here.
            tm.begin();
            Connection broken = ta.getConnection();
            add(broken, -10);
            broken.unwrap(org.h2.jdbc.JdbcConnection.class).close();
            try (Connection cb = tb.getConnection()) {
                add(cb, 10);
            }
            String brokenOutcome;
            try {
                tm.commit();
                brokenOutcome = "committed";
            } catch (Exception e) {
                brokenOutcome = "not committed";
            }
            return committed + "; broken connection: " + brokenOutcome + ", balances " + balance(a) + "/" + balance(b);
        } catch (Exception | LinkageError e) {
            return e.getClass().getName() + ": " + e.getMessage();
        }
    }

    /** Style (a) over H2's XADataSource: needs HikariCP to pool the XAConnections. */
    private static String xaStyle(QuorumTransactionManager tm, JdbcDataSource c) {
        try {
            createAccount(c);
            try (TransactionalDataSource tc = TransactionalDataSource.builder(tm).name("c").xaDataSource(c)
                    .maximumPoolSize(2).build()) {
                tm.begin();
                try (Connection cc = tc.getConnection()) {
                    add(cc, 5);
                }
                tm.commit();
                return "committed, balance " + balance(c);
            }
        } catch (Exception | LinkageError e) {
            return e.getClass().getName() + ": " + e.getMessage();
        }
    }

    private static JdbcDataSource h2(Path directory, String name) {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:file:" + directory.resolve(name).toAbsolutePath() + ";WRITE_DELAY=0");
        ds.setUser("sa");
        return ds;
    }

    private static void createAccount(JdbcDataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE account(id INT PRIMARY KEY, balance BIGINT NOT NULL)");
            s.execute("INSERT INTO account VALUES (1, 100)");
        }
    }

    private static void add(Connection c, long delta) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE account SET balance = balance + " + delta + " WHERE id = 1");
        }
    }

    private static long balance(JdbcDataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT balance FROM account WHERE id = 1")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
