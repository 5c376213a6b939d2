package io.quorumtx.lock;

import io.quorumtx.jdbc.dialect.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Fencing enforced by the database that holds the protected data: a table of the highest token
 * seen per lock, and a guard to run inside the application's own transaction on that database.
 * The guard raises the lock's row to the caller's token only if no higher token was seen
 * ({@code UPDATE … SET token = ? WHERE name = ? AND token <= ?}) and fails otherwise, so the
 * transaction of a holder that stalled past its lease — whose successor's guarded transaction
 * already committed — is rolled back instead of overwriting the successor's work. A guarded
 * transaction keeps the row locked until it ends, so guarded transactions of one lock commit in
 * token order: a later holder's guard waits for an earlier holder's open transaction rather than
 * overtake it. Run the guard as the last statement before the commit to keep that wait short.
 *
 * <pre>{@code
 * LockFence fence = LockFence.create(appDataSource, Dialect.postgresql(), "app_lock_fence");
 * try (LockHandle lock = locks.acquire("invoice-run")) {
 *     try (Connection c = appDataSource.getConnection()) {
 *         c.setAutoCommit(false);
 *         // ... the writes protected by the lock ...
 *         fence.guard(c, lock);   // throws LockLostException if a later holder already wrote
 *         c.commit();             // (on an exception: c.rollback())
 *     }
 * }
 * }</pre>
 *
 * <p>Works with a JTA transaction too: pass the enlisted connection. The table
 * ({@code name VARCHAR(200) PRIMARY KEY, token BIGINT NOT NULL}) is created by {@link #create},
 * on a connection of its own (DDL commits implicitly on MySQL/MariaDB). Thread-safe.
 */
public final class LockFence {
    private final String kind;
    private final String table;
    private final String raise;
    private final String insert;
    private final String seen;

    private LockFence(String kind, String table) {
        this.kind = kind;
        this.table = table;
        this.raise = "UPDATE " + table + " SET token = ? WHERE name = ? AND token <= ?";
        this.insert = switch (kind) {
            case "postgresql" -> "INSERT INTO " + table + " (name, token) VALUES (?, ?) ON CONFLICT (name) DO NOTHING";
            case "mysql" -> "INSERT IGNORE INTO " + table + " (name, token) VALUES (?, ?)";
            default -> "INSERT INTO " + table + " (name, token) VALUES (?, ?)"; // H2: a duplicate fails the statement only
        };
        this.seen = "SELECT token FROM " + table + " WHERE name = ?";
    }

    /**
     * The fence table {@code table} in the database of {@code dataSource} (the database of the
     * protected data), created if missing.
     *
     * @throws IllegalArgumentException if {@code table} is not a plain identifier or the dialect unknown
     */
    public static LockFence create(DataSource dataSource, Dialect dialect, String table) {
        LockSql checked = LockSql.of(dialect, table); // validates the identifier and the dialect
        LockFence fence = new LockFence(dialect.name().toLowerCase(Locale.ROOT), checked.table);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            s.execute("CREATE TABLE IF NOT EXISTS " + fence.table + " (name VARCHAR(" + LockSql.MAX_NAME_LENGTH
                    + ") NOT NULL PRIMARY KEY, token BIGINT NOT NULL)");
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create the lock fence table " + fence.table + ": "
                    + e.getMessage() + " (SQLState " + e.getSQLState() + ")", e);
        }
        return fence;
    }

    /** {@link #guard(Connection, String, long)} with the handle's name and token (which throws if it is lost). */
    public void guard(Connection transaction, LockHandle lock) throws SQLException {
        guard(transaction, lock.name(), lock.token());
    }

    /**
     * Inside the caller's transaction on {@code transaction}: records {@code token} as the highest
     * seen for {@code lockName}, or fails if a higher one was.
     *
     * @throws LockLostException if a higher token of the lock was seen: roll the transaction back
     */
    public void guard(Connection transaction, String lockName, long token) throws SQLException {
        Objects.requireNonNull(transaction, "transaction");
        if (raise(transaction, lockName, token)) {
            return;
        }
        if (insertFirst(transaction, lockName, token) || raise(transaction, lockName, token)) {
            return; // the first token seen for this lock, or a concurrent first insert lost to ours
        }
        long higher = -1;
        try (PreparedStatement ps = transaction.prepareStatement(seen)) {
            ps.setString(1, lockName);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    higher = rs.getLong(1);
                }
            }
        }
        throw new LockLostException("Write fenced off: lock '" + lockName + "' was granted again (token " + higher
                + " was seen in " + table + ") after the grant with token " + token + " that this transaction ran"
                + " under; roll it back");
    }

    private boolean raise(Connection c, String name, long token) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(raise)) {
            ps.setLong(1, token);
            ps.setString(2, name);
            ps.setLong(3, token);
            return ps.executeUpdate() == 1;
        }
    }

    private boolean insertFirst(Connection c, String name, long token) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(insert)) {
            ps.setString(1, name);
            ps.setLong(2, token);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            if (kind.equals("h2") && e.getSQLState() != null && e.getSQLState().startsWith("23")) {
                return false; // inserted meanwhile by another transaction: decide by the raise
            }
            throw e;
        }
    }
}
