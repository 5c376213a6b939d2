package io.quorumtx.it.support;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.h2.jdbcx.JdbcDataSource;

/**
 * One embedded H2 file database holding {@code account(id, balance, ops)}, with a durable URL
 * ({@code WRITE_DELAY=0}) and helpers that read it on their own auto-commit connection, outside
 * any JTA transaction: what a test asserts is what the database really kept.
 */
public final class H2Bank {
    public static final long INITIAL_BALANCE = 1_000L;

    public static final String DEBIT = "UPDATE account SET balance = balance - ?, ops = ops + 1 WHERE id = ?";
    public static final String CREDIT = "UPDATE account SET balance = balance + ?, ops = ops + 1 WHERE id = ?";

    private final String name;
    private final String url;
    private final int accounts;

    public H2Bank(Path directory, String name, int accounts) throws SQLException {
        this.name = name;
        this.url = "jdbc:h2:file:" + directory.resolve(name).toAbsolutePath() + ";WRITE_DELAY=0;LOCK_TIMEOUT=10000";
        this.accounts = accounts;
        try (Connection c = open(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE account(id INT PRIMARY KEY, balance BIGINT NOT NULL, ops BIGINT NOT NULL)");
            s.execute("INSERT INTO account SELECT X, " + INITIAL_BALANCE + ", 0 FROM SYSTEM_RANGE(1, " + accounts + ")");
        }
    }

    public String name() {
        return name;
    }

    public String url() {
        return url;
    }

    public int accounts() {
        return accounts;
    }

    public long initialTotal() {
        return INITIAL_BALANCE * accounts;
    }

    /** H2's own XADataSource, which is also a plain DataSource. */
    public JdbcDataSource h2DataSource() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(url);
        ds.setUser("sa");
        ds.setPassword("");
        return ds;
    }

    /** A fresh auto-commit connection, outside any transaction manager. */
    public Connection open() throws SQLException {
        return DriverManager.getConnection(url, "sa", "");
    }

    public long balance(int id) throws SQLException {
        return queryLong("SELECT balance FROM account WHERE id = " + id);
    }

    public long total() throws SQLException {
        return queryLong("SELECT SUM(balance) FROM account");
    }

    /** Committed updates over all rows. */
    public long ops() throws SQLException {
        return queryLong("SELECT SUM(ops) FROM account");
    }

    public long inDoubt() throws SQLException {
        return queryLong("SELECT COUNT(*) FROM INFORMATION_SCHEMA.IN_DOUBT");
    }

    /**
     * Tries to take the row lock of {@code id} with a short lock timeout (a no-op update):
     * true if no uncommitted transaction holds the row.
     */
    public boolean rowIsUnlocked(int id) throws SQLException {
        try (Connection c = open(); Statement s = c.createStatement()) {
            s.execute("SET LOCK_TIMEOUT 50");
            s.executeUpdate("UPDATE account SET ops = ops WHERE id = " + id);
            return true;
        } catch (SQLException e) {
            if (e.getErrorCode() == 50200) { // LOCK_TIMEOUT_1
                return false;
            }
            throw e;
        }
    }

    public static void update(Connection c, String sql, int id, long amount) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, amount);
            ps.setInt(2, id);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("no account " + id);
            }
        }
    }

    private long queryLong(String sql) throws SQLException {
        try (Connection c = open(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
