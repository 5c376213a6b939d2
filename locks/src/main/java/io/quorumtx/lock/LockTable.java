package io.quorumtx.lock;

import io.quorumtx.jdbc.dialect.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock table of one database: every operation of the service on it, each one short
 * statement (or two) on a connection taken from the DataSource for that moment, in auto-commit.
 * The statements' text, per database, is {@link LockSql}'s; every decision about time — is a
 * lease over, when does the new one end — is made by the database inside the statement, so two
 * services whose clocks disagree still agree on who holds a lock.
 *
 * <p>On PostgreSQL a release (or a break) is also announced to waiters in every process
 * ({@link PgNotifications}), and {@link #awaitRelease} wakes on it; elsewhere waiting is plain
 * back-off. Thread-safe.
 */
final class LockTable {
    private static final Logger LOG = LoggerFactory.getLogger(LockTable.class);

    /** MySQL/MariaDB's error code for a MEMORY table that reached its size ({@code ER_RECORD_FILE_FULL}). */
    private static final int TABLE_FULL = 1114;

    private final DataSource dataSource;
    private final Dialect dialect;
    /** Replaced once, by {@link #prepare}, when the memory table of releases cannot be used; before the service is built. */
    private LockSql sql;
    /** PostgreSQL only: waiters woken by LISTEN/NOTIFY when a lock is released; null elsewhere. */
    private final PgNotifications notifications;
    /** Lock names whose row is known to exist: no INSERT attempt for them. */
    private final Set<String> rowsKnown = ConcurrentHashMap.newKeySet();
    private final RenewalConnection renewals;

    /** @throws IllegalArgumentException if the table name is not a plain identifier or the dialect unknown */
    LockTable(DataSource dataSource, Dialect dialect, String table) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.sql = LockSql.of(dialect, table);
        this.notifications = dialect.name().equals("postgresql") ? new PgNotifications(dataSource, sql.table) : null;
        this.renewals = new RenewalConnection(dataSource);
    }

    /** The table's name as used in SQL (lower case). */
    String name() {
        return sql.table;
    }

    /** Creates the table if asked and it is missing, then checks that it has the lock columns. */
    void prepare(boolean create) {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            if (create) {
                s.execute(sql.createTable());
            }
            s.executeQuery(sql.probe()).close(); // it ran: the columns exist
            if (sql.released != null && !memoryReleasesUsable(s, create)) {
                sql = LockSql.of(dialect, sql.table, false);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Lock table " + sql.table + " cannot be used: " + e.getMessage()
                    + ". It must have the columns name, owner, token and lease_until (see the README for each"
                    + " database's DDL)" + (create ? "" : ", or let the service create it with createTable(true)"), e);
        }
    }

    /**
     * MySQL/MariaDB: creates the memory table of releases if asked, and tells whether it exists
     * with the MEMORY engine; if not, releases are durable UPDATEs (said once in the log).
     */
    private boolean memoryReleasesUsable(Statement s, boolean create) throws SQLException {
        String problem;
        try {
            if (create) {
                s.execute(sql.createReleasedTable());
            }
            try (ResultSet rs = s.executeQuery(sql.probeReleased())) {
                String engine = rs.next() ? rs.getString(1) : null;
                if ("MEMORY".equalsIgnoreCase(engine)) {
                    return true;
                }
                problem = engine == null ? "it does not exist" : "its engine is " + engine + ", not MEMORY";
            }
        } catch (SQLException e) {
            problem = e.getMessage();
        }
        LOG.info("Lock table {}: releases are durable UPDATEs (a flush each), because table {} cannot be used: {}."
                + " See the README's locks section for its DDL", sql.table, sql.released, problem);
        return false;
    }

    /**
     * One attempt to take {@code name} for {@code owner}: the granting UPDATE (the database decides,
     * by its clock, whether the lock is free or its lease has ended), then this grant's token. The
     * row is inserted first only the first time this table meets the name. If {@code handover} is
     * not null (a grant of this service, closed while this acquire waited for its turn, and not
     * released in the database) the lock is also granted while that grant still holds it: the row
     * passes to {@code owner} with a higher token in the same statement.
     *
     * @return the grant's fencing token, or empty if another owner holds the lock
     */
    Optional<Long> grant(String name, String owner, Duration lease, HeldLocks.Handover handover) {
        try (Connection c = dataSource.getConnection()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            if (!rowsKnown.contains(name)) {
                insertIfAbsent(c, name);
                rowsKnown.add(name);
            }
            return grantStatement(c, name, owner, lease, handover);
        } catch (SQLException e) {
            if (isConflict(e)) {
                return Optional.empty(); // another contender's grant won the row at the same moment
            }
            throw failure("acquire lock '" + name + "'", e);
        }
    }

    /** The one granting statement; its token, or empty if the lock is held by another owner. */
    private Optional<Long> grantStatement(Connection c, String name, String owner, Duration lease,
            HeldLocks.Handover handover) throws SQLException {
        if (sql.grantReturnsGeneratedKey()) {
            try (PreparedStatement ps = c.prepareStatement(sql.grant(), Statement.RETURN_GENERATED_KEYS)) {
                bindGrant(ps, name, owner, lease, handover);
                if (ps.executeUpdate() != 1) {
                    return Optional.empty();
                }
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    if (!keys.next()) {
                        throw new SQLException("The grant of lock '" + name + "' returned no token (LAST_INSERT_ID)");
                    }
                    return Optional.of(keys.getLong(1));
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(sql.grant())) {
            bindGrant(ps, name, owner, lease, handover);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
            }
        }
    }

    private void bindGrant(PreparedStatement ps, String name, String owner, Duration lease,
            HeldLocks.Handover handover) throws SQLException {
        if (sql.released != null) {
            ps.setString(6, name); // a release recorded in the memory table frees the row
        }
        ps.setString(1, owner);
        ps.setLong(2, lease.toMillis());
        ps.setString(3, name);
        if (handover == null) {
            ps.setNull(4, Types.VARCHAR); // owner = NULL is never true: no handover
            ps.setLong(5, -1);
        } else {
            ps.setString(4, handover.owner());
            ps.setLong(5, handover.token());
        }
    }

    private void insertIfAbsent(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.insert())) {
            ps.setString(1, name);
            ps.executeUpdate();
        } catch (SQLException e) {
            if (!isDuplicateKey(e)) {
                throw e;
            }
        }
    }

    /**
     * Extends the grant's lease to the database's now plus {@code lease}, on the service's own
     * renewal connection ({@link RenewalConnection}), never waiting for the application's pool.
     *
     * @return false if the grant no longer holds the lock: its lease had ended by the database's clock
     */
    boolean renew(String name, String owner, long token, Duration lease) {
        try {
            return renewals.renew(sql.renew(), name, owner, token, lease) == 1;
        } catch (SQLException e) {
            throw failure("renew lock '" + name + "'", e);
        }
    }

    /** Takes the renewal connection now, at a grant, so that later renewals never wait for the pool. */
    void reserveRenewalConnection() {
        try {
            renewals.reserve();
        } catch (SQLException e) {
            throw failure("take a connection for renewing leases", e);
        }
    }

    /**
     * Frees the lock if this grant still holds it (even with an ended lease nobody else took) and
     * announces the release to waiters.
     *
     * @return false if another grant or an operator's break had taken the lock from it
     */
    boolean release(String name, String owner, long token) {
        if (sql.released != null) {
            return releaseInMemory(name, owner, token);
        }
        return releaseDurably(name, owner, token);
    }

    private boolean releaseDurably(String name, String owner, long token) {
        String releaseAndNotify = sql.releaseAndNotify();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(releaseAndNotify != null ? releaseAndNotify : sql.release())) {
            ps.setString(1, owner);
            ps.setLong(2, token);
            ps.setString(3, name);
            if (releaseAndNotify != null) { // PostgreSQL: released and announced in one round trip
                ps.setString(4, notifications.channel());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw failure("release lock '" + name + "'", e);
        }
    }

    /**
     * MySQL/MariaDB: records the release in the memory table (no flush). When that table is full,
     * writes the releases it holds to the lock table in one durable commit, empties it of them and
     * tries once more; if it is still full (or unusable) the release is a durable UPDATE.
     */
    private boolean releaseInMemory(String name, String owner, long token) {
        try (Connection c = dataSource.getConnection()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            try {
                return softRelease(c, name, owner, token);
            } catch (SQLException e) {
                if (e.getErrorCode() != TABLE_FULL) {
                    throw e;
                }
                int written = compactReleases(c);
                LOG.info("Memory table {} was full: {} releases written to lock table {} in one commit", sql.released,
                        written, sql.table);
                try {
                    return softRelease(c, name, owner, token);
                } catch (SQLException again) {
                    if (again.getErrorCode() != TABLE_FULL) {
                        throw again;
                    }
                }
            }
        } catch (SQLException e) {
            throw failure("release lock '" + name + "'", e);
        }
        LOG.warn("Memory table {} stays full (raise max_heap_table_size and recreate it); lock '{}' is released by a"
                + " durable UPDATE", sql.released, name);
        return releaseDurably(name, owner, token);
    }

    private boolean softRelease(Connection c, String name, String owner, long token) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.softRelease())) {
            ps.setString(1, owner);
            ps.setLong(2, token);
            ps.setString(3, name);
            return ps.executeUpdate() > 0;
        }
    }

    /** The releases of the full memory table, written to the lock table; returns how many rows it freed. */
    private int compactReleases(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            int written = s.executeUpdate(sql.compactReleased());
            s.executeUpdate(sql.dropAppliedReleases());
            return written;
        }
    }

    /** Frees {@code name} whoever holds it (an operator's decision). Returns false if no such lock exists. */
    boolean breakLock(String name) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql.breakLock())) {
            ps.setString(1, name);
            boolean found = ps.executeUpdate() == 1;
            announceRelease(c, name);
            if (found) {
                LOG.warn("Lock '{}' in table {} was broken by an operator: its holder no longer holds it", name,
                        sql.table);
            }
            return found;
        } catch (SQLException e) {
            throw failure("break lock '" + name + "'", e);
        }
    }

    /** True while the database shows this grant with a live lease. */
    boolean holds(String name, String owner, long token) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql.heldToken())) {
            ps.setString(1, name);
            ps.setString(2, owner);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getLong(1) == token;
            }
        } catch (SQLException e) {
            throw failure("check lock '" + name + "'", e);
        }
    }

    /** Every lock in the table as the database sees it now. */
    List<LockInfo> list() {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql.list())) {
            List<LockInfo> all = new ArrayList<>();
            while (rs.next()) {
                Timestamp until = rs.getTimestamp(4);
                Timestamp now = rs.getTimestamp(5);
                all.add(new LockInfo(rs.getString(1), Optional.ofNullable(rs.getString(2)), rs.getLong(3),
                        Optional.ofNullable(until).map(Timestamp::toInstant), now.toInstant()));
            }
            return all;
        } catch (SQLException e) {
            throw failure("list the locks", e);
        }
    }

    /**
     * Waits {@code nanos}, or on PostgreSQL until a release of {@code name} is announced if that
     * comes first (a release announced before the wait began is found by the next attempt).
     */
    void awaitRelease(String name, long nanos) throws InterruptedException {
        if (notifications != null) {
            notifications.await(name, TimeUnit.NANOSECONDS.toMillis(nanos));
        } else {
            TimeUnit.NANOSECONDS.sleep(nanos);
        }
    }

    /** Stops listening for announced releases (PostgreSQL); the table stays usable for statements. */
    void stopListening() {
        if (notifications != null) {
            notifications.close();
        }
    }

    /** Returns the renewal connection to the pool (the service is closing; after the last release). */
    void closeRenewals() {
        renewals.close();
    }

    /** PostgreSQL: wakes the waiters of {@code name} in every process (the release is committed: autocommit). */
    private void announceRelease(Connection c, String name) {
        if (notifications == null) {
            return;
        }
        try {
            notifications.notifyReleased(c, name);
        } catch (SQLException e) {
            LOG.debug("Could not announce the release of lock '{}' ({}); waiters find it at their next try", name,
                    e.getMessage());
        }
    }

    private static boolean isDuplicateKey(SQLException e) {
        String state = e.getSQLState();
        return state != null && state.startsWith("23");
    }

    /** Serialization failures and deadlocks between two grants of one row: the loser simply waits. */
    private static boolean isConflict(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.equals("40001") || state.equals("40P01") || state.startsWith("23")
                || state.equals("90131") || state.equals("HYT00"));
    }

    private IllegalStateException failure(String what, SQLException e) {
        return new IllegalStateException("Could not " + what + " in lock table " + sql.table + ": " + e.getMessage()
                + " (SQLState " + e.getSQLState() + ")", e);
    }
}
