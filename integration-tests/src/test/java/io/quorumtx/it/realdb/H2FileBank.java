package io.quorumtx.it.realdb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;
import javax.sql.XADataSource;

import org.h2.jdbcx.JdbcDataSource;

import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.jdbc.dialect.Dialect;

/**
 * The embedded H2 member of a mixed transaction: a file database with a durable URL
 * ({@code WRITE_DELAY=0}). Created through {@link H2Bank} (the same table as the H2-only tests);
 * a crash test's child JVM and the recovering parent attach to the existing file instead.
 */
final class H2FileBank implements Bank {
    static final String TABLE = "account";

    private final String name;
    private final String url;
    private final int accounts;

    /** Creates the database file and its accounts, or attaches to an existing one. */
    H2FileBank(Path directory, String name, int accounts, boolean create) throws SQLException {
        if (create) {
            this.url = new H2Bank(directory, name, accounts).url();
        } else {
            this.url = "jdbc:h2:file:" + directory.resolve(name).toAbsolutePath() + ";WRITE_DELAY=0;LOCK_TIMEOUT=10000";
        }
        this.name = name;
        this.accounts = accounts;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String table() {
        return TABLE;
    }

    @Override
    public int accounts() {
        return accounts;
    }

    private JdbcDataSource h2() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(url);
        ds.setUser("sa");
        ds.setPassword("");
        return ds;
    }

    @Override
    public String url() {
        return url;
    }

    @Override
    public String user() {
        return "sa";
    }

    @Override
    public String password() {
        return "";
    }

    @Override
    public String xaDataSourceClass() {
        return JdbcDataSource.class.getName();
    }

    @Override
    public XADataSource xaDataSource() {
        return h2();
    }

    @Override
    public DataSource plainDataSource() {
        return h2();
    }

    @Override
    public Dialect dialect() {
        return Dialect.h2();
    }

    @Override
    public long balance(int id) throws SQLException {
        return queryLong("SELECT balance FROM " + TABLE + " WHERE id = " + id);
    }

    @Override
    public long total() throws SQLException {
        return queryLong("SELECT SUM(balance) FROM " + TABLE);
    }

    @Override
    public long ops() throws SQLException {
        return queryLong("SELECT SUM(ops) FROM " + TABLE);
    }

    @Override
    public boolean rowIsUnlocked(int id) throws SQLException {
        try (Connection c = h2().getConnection(); Statement s = c.createStatement()) {
            s.execute("SET LOCK_TIMEOUT 50");
            s.executeUpdate("UPDATE " + TABLE + " SET ops = ops WHERE id = " + id);
            return true;
        } catch (SQLException e) {
            if (e.getErrorCode() == 50200) { // LOCK_TIMEOUT_1
                return false;
            }
            throw e;
        }
    }

    /** The database is the test's own file: every in-doubt branch in it is the test's. */
    @Override
    public List<String> preparedBranchesOf(String nodeId) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = h2().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT TRANSACTION_NAME FROM INFORMATION_SCHEMA.IN_DOUBT")) {
            while (rs.next()) {
                names.add(name + ": " + rs.getString(1));
            }
        }
        return names;
    }

    /** The file lives in the test's temporary directory, which JUnit deletes. */
    @Override
    public void cleanUp(String nodeId) {
    }

    private long queryLong(String sql) throws SQLException {
        try (Connection c = h2().getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public String toString() {
        return name + " (H2 file)";
    }
}
