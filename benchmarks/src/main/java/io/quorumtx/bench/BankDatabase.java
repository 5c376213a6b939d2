package io.quorumtx.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;

import javax.sql.DataSource;
import javax.sql.XADataSource;

import org.h2.jdbcx.JdbcDataSource;
import org.mariadb.jdbc.MariaDbDataSource;
import org.postgresql.ds.PGSimpleDataSource;
import org.postgresql.xa.PGXADataSource;

import io.quorumtx.jdbc.dialect.Dialect;

/**
 * One of the two bank databases of a benchmark cell: {@code bench_account(id, balance, ops)} with
 * {@code ops} counting the committed updates of each row, so the end-of-cell check can compare
 * what the database kept with what the clients were told was committed.
 *
 * <p>On a server ({@code postgres}, {@code mariadb}) the table is created fresh when this opens
 * and dropped by {@link #shutdown()}; branches in doubt are counted as those the server lists
 * (PostgreSQL: {@code pg_prepared_xacts} of this database and user; MariaDB: {@code XA RECOVER},
 * server-wide) that were not there when this opened, so other users' leftovers are not blamed on
 * the benchmark.
 */
final class BankDatabase {
    static final long INITIAL_BALANCE = 1_000_000L;
    static final String TABLE = "bench_account";

    static final String DEBIT = "UPDATE " + TABLE + " SET balance = balance - ?, ops = ops + 1 WHERE id = ?";
    static final String CREDIT = "UPDATE " + TABLE + " SET balance = balance + ?, ops = ops + 1 WHERE id = ?";

    private final Workload workload;
    private final String url;
    private final int accounts;
    private final Set<String> inDoubtBefore;

    BankDatabase(Workload workload, String url, int accounts) throws SQLException {
        this.workload = workload;
        this.url = url;
        this.accounts = accounts;
        try (Connection c = open(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + TABLE);
            s.execute("CREATE TABLE " + TABLE + "(id INT PRIMARY KEY, balance BIGINT NOT NULL, ops BIGINT NOT NULL)");
            if (workload.isServer()) {
                insertInChunks(s);
            } else {
                s.execute("INSERT INTO " + TABLE + " SELECT X, " + INITIAL_BALANCE + ", 0 FROM SYSTEM_RANGE(1, "
                        + accounts + ")");
            }
            inDoubtBefore = workload.isServer() ? inDoubt(s) : Set.of();
        }
    }

    /** Portable multi-row inserts: one round trip per thousand rows. */
    private void insertInChunks(Statement s) throws SQLException {
        for (int from = 1; from <= accounts; from += 1000) {
            StringBuilder sql = new StringBuilder("INSERT INTO " + TABLE + "(id, balance, ops) VALUES ");
            int to = Math.min(accounts, from + 999);
            for (int id = from; id <= to; id++) {
                sql.append(id == from ? "" : ",").append('(').append(id).append(',').append(INITIAL_BALANCE).append(",0)");
            }
            s.executeUpdate(sql.toString());
        }
    }

    String url() {
        return url;
    }

    /** The driver's XADataSource for this database. */
    XADataSource xaDataSource() throws SQLException {
        return switch (workload) {
            case H2_MEM, H2_FILE -> h2();
            case POSTGRES -> {
                PGXADataSource ds = new PGXADataSource();
                ds.setUrl(url);
                ds.setUser(workload.user());
                yield ds;
            }
            case MARIADB -> mariadb();
        };
    }

    /** A plain DataSource, as an application's connection pool would be given. */
    DataSource dataSource() throws SQLException {
        return switch (workload) {
            case H2_MEM, H2_FILE -> h2();
            case POSTGRES -> {
                PGSimpleDataSource ds = new PGSimpleDataSource();
                ds.setUrl(url);
                ds.setUser(workload.user());
                yield ds;
            }
            case MARIADB -> mariadb();
        };
    }

    Dialect dialect() {
        return switch (workload) {
            case H2_MEM, H2_FILE -> Dialect.h2();
            case POSTGRES -> Dialect.postgresql();
            case MARIADB -> Dialect.mysql();
        };
    }

    private JdbcDataSource h2() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(url);
        ds.setUser(workload.user());
        ds.setPassword("");
        return ds;
    }

    private MariaDbDataSource mariadb() throws SQLException {
        MariaDbDataSource ds = new MariaDbDataSource(url);
        ds.setUser(workload.user());
        ds.setPassword("");
        return ds;
    }

    Connection open() throws SQLException {
        return DriverManager.getConnection(url, workload.user(), "");
    }

    long initialTotal() {
        return INITIAL_BALANCE * accounts;
    }

    Totals totals() throws SQLException {
        try (Connection c = open(); Statement s = c.createStatement()) {
            long balance;
            long ops;
            try (ResultSet rs = s.executeQuery("SELECT SUM(balance), SUM(ops) FROM " + TABLE)) {
                rs.next();
                balance = rs.getLong(1);
                ops = rs.getLong(2);
            }
            if (!workload.isServer()) {
                try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.IN_DOUBT")) {
                    rs.next();
                    return new Totals(balance, ops, rs.getInt(1));
                }
            }
            Set<String> now = inDoubt(s);
            now.removeAll(inDoubtBefore);
            return new Totals(balance, ops, now.size());
        }
    }

    private Set<String> inDoubt(Statement s) throws SQLException {
        Set<String> ids = new HashSet<>();
        if (workload == Workload.POSTGRES) {
            try (ResultSet rs = s.executeQuery("SELECT gid FROM pg_prepared_xacts"
                    + " WHERE database = current_database() AND owner = current_user")) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        } else {
            // Columns: formatID, gtrid_length, bqual_length, data.
            try (ResultSet rs = s.executeQuery("XA RECOVER")) {
                while (rs.next()) {
                    ids.add(rs.getInt(1) + ":" + rs.getInt(2) + ":" + rs.getString(4));
                }
            }
        }
        return ids;
    }

    /**
     * H2: closes the database so the next system starts on a fresh one and memory is returned.
     * Servers: drops the benchmark's table.
     */
    void shutdown() {
        try (Connection c = open(); Statement s = c.createStatement()) {
            s.execute(workload.isServer() ? "DROP TABLE IF EXISTS " + TABLE : "SHUTDOWN");
        } catch (SQLException e) {
            System.err.println("warning: could not clean up " + url + ": " + e.getMessage());
        }
    }

    record Totals(long balance, long ops, int inDoubt) {
    }
}
