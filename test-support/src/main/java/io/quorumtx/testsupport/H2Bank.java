package io.quorumtx.testsupport;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import org.h2.jdbcx.JdbcDataSource;

/**
 * The bank every module's tests move money in: an embedded H2 file database holding
 * {@code account(id, balance, ops)} (balance never negative, {@code ops} counting committed
 * updates), on a durable URL ({@code WRITE_DELAY=0}), user {@code sa} with no password. What a test
 * asserts is read on a fresh auto-commit connection, outside any transaction manager: what the
 * database really kept.
 *
 * <p>Two ways in, over the same table: the static methods work on a URL ({@link #url},
 * {@link #createAccounts}, {@link #balance(String, int)}), for tests that hand URLs around; an
 * instance ({@link #H2Bank(Path, String, int)}) is one bank of {@code n} accounts of
 * {@value #INITIAL_BALANCE} with totals, in-doubt counts and row-lock probes, for the
 * end-to-end tests.
 */
public final class H2Bank {
    public static final String USER = "sa";
    public static final long INITIAL_BALANCE = 1_000L;

    public static final String DEBIT = "UPDATE account SET balance = balance - ?, ops = ops + 1 WHERE id = ?";
    public static final String CREDIT = "UPDATE account SET balance = balance + ?, ops = ops + 1 WHERE id = ?";

    private final String name;
    private final String url;
    private final int accounts;

    /**
     * Creates bank {@code name} in {@code directory} with accounts 1..{@code accounts} of
     * {@value #INITIAL_BALANCE}. Its URL waits up to 10 s for a row lock (H2's default is 2 s),
     * so transfers contending on a loaded machine queue rather than fail.
     */
    public H2Bank(Path directory, String name, int accounts) throws SQLException {
        this.name = name;
        this.url = url(directory, name) + ";LOCK_TIMEOUT=10000";
        this.accounts = accounts;
        long[] balances = new long[accounts];
        Arrays.fill(balances, INITIAL_BALANCE);
        createAccounts(url, balances);
    }

    /** The durable URL of database {@code name} in {@code directory}. */
    public static String url(Path directory, String name) {
        return "jdbc:h2:file:" + directory.resolve(name).toAbsolutePath() + ";WRITE_DELAY=0";
    }

    /** Creates the {@code account} table with accounts 1..n holding {@code balances}. */
    public static void createAccounts(String url, long... balances) throws SQLException {
        createAccounts(url, USER, "", balances);
    }

    /**
     * As {@link #createAccounts(String, long...)}, for a database whose administrator is
     * {@code user} with {@code password} (H2 takes them from the connection that creates it).
     */
    public static void createAccounts(String url, String user, String password, long... balances) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE account(id INT PRIMARY KEY, balance BIGINT NOT NULL CHECK (balance >= 0),"
                    + " ops BIGINT NOT NULL DEFAULT 0)");
            for (int i = 0; i < balances.length; i++) {
                s.execute("INSERT INTO account(id, balance) VALUES (" + (i + 1) + ", " + balances[i] + ")");
            }
        }
    }

    /** The committed balance of account {@code id}. */
    public static long balance(String url, int id) throws SQLException {
        return balance(url, USER, "", id);
    }

    public static long balance(String url, String user, String password, int id) throws SQLException {
        return queryLong(url, user, password, "SELECT balance FROM account WHERE id = " + id);
    }

    /** Branches prepared and not yet committed or rolled back. */
    public static long inDoubt(String url) throws SQLException {
        return inDoubt(url, USER, "");
    }

    public static long inDoubt(String url, String user, String password) throws SQLException {
        return queryLong(url, user, password, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.IN_DOUBT");
    }

    /** Adds {@code delta} to account {@code id} on {@code c}; fails if there is no such account. */
    public static void addToBalance(Connection c, int id, long delta) throws SQLException {
        try (Statement s = c.createStatement()) {
            if (s.executeUpdate("UPDATE account SET balance = balance + " + delta + " WHERE id = " + id) != 1) {
                throw new SQLException("no account " + id);
            }
        }
    }

    /** Runs {@link #DEBIT} or {@link #CREDIT} for {@code amount} on account {@code id}. */
    public static void update(Connection c, String sql, int id, long amount) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, amount);
            ps.setInt(2, id);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("no account " + id);
            }
        }
    }

    /** The balance of account {@code id} as {@code c} sees it (inside whatever transaction it is in). */
    public static long readBalance(Connection c, int id) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT balance FROM account WHERE id = " + id)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** H2's own XADataSource (also a plain DataSource) on {@code url}. */
    public static JdbcDataSource xaDataSource(String url) {
        JdbcDataSource xa = new JdbcDataSource();
        xa.setURL(url);
        xa.setUser(USER);
        xa.setPassword("");
        return xa;
    }

    /** A HikariCP pool of {@code size} plain connections on {@code url}. */
    public static HikariDataSource pool(String url, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(USER);
        config.setMaximumPoolSize(size);
        return new HikariDataSource(config);
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

    /** {@link #xaDataSource(String)} on this bank. */
    public JdbcDataSource h2DataSource() {
        return xaDataSource(url);
    }

    /** A fresh auto-commit connection, outside any transaction manager. */
    public Connection open() throws SQLException {
        return DriverManager.getConnection(url, USER, "");
    }

    public long balance(int id) throws SQLException {
        return balance(url, id);
    }

    public long total() throws SQLException {
        return queryLong(url, USER, "", "SELECT SUM(balance) FROM account");
    }

    /** Committed {@link #DEBIT}s and {@link #CREDIT}s over all rows. */
    public long ops() throws SQLException {
        return queryLong(url, USER, "", "SELECT SUM(ops) FROM account");
    }

    public long inDoubt() throws SQLException {
        return inDoubt(url);
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

    private static long queryLong(String url, String user, String password, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
