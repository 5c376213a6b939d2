package io.quorumtx.jdbc.dblog;

import io.quorumtx.tm.log.CommitLogException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * The nodes table: one row per manager incarnation ({@code nodeId.bootEpoch}, the first two parts
 * of every gtrid it issues), with a lease by the database's clock and a fence.
 *
 * <p>The lease only keeps nodes from settling each other's young transactions; safety never
 * depends on it. The fence is what makes deleting ABORT rows safe (see {@link DatabaseCommitLog}):
 * a standalone COMMIT batch updates its own row {@code WHERE fenced = 0} in its own transaction,
 * so once another node has fenced an incarnation, no COMMIT of it can be written any more.
 * Registering the incarnation by primary key also proves its gtrids were never issued before.
 */
final class Incarnations {

    private final DataSource dataSource;
    private final DecisionSql sql;
    private final Duration lease;

    Incarnations(DataSource dataSource, DecisionSql sql, Duration lease) {
        this.dataSource = dataSource;
        this.sql = sql;
        this.lease = lease;
    }

    /** {@code node.epoch} of a gtrid ({@code node.epoch.seq.begin}). */
    static String of(String gtrid) {
        int first = gtrid.indexOf('.');
        int second = first < 0 ? -1 : gtrid.indexOf('.', first + 1);
        return second < 0 ? gtrid : gtrid.substring(0, second);
    }

    /** Inserts this incarnation's row, leased from now. */
    void register(String incarnation, String nodeId) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO " + sql.nodes + " (incarnation, node_id,"
                     + " lease_until, fenced, commit_batches) VALUES (?, ?, " + sql.nowMillis() + " + ?, 0, 0)")) {
            ps.setString(1, incarnation);
            ps.setString(2, nodeId);
            ps.setLong(3, lease.toMillis());
            ps.executeUpdate();
            commitIfManual(c);
        } catch (SQLException e) {
            if (sql.isDuplicateKey(e)) {
                throw CommitLogException.cannotOpen("incarnation " + incarnation + " is already registered in "
                        + sql.nodes + ": its boot epoch was issued before; start the manager again", e);
            }
            throw CommitLogException.cannotOpen("cannot register incarnation " + incarnation + " in " + sql.nodes
                    + ": " + e.getMessage(), e);
        }
    }

    /** Renews the lease; false if the incarnation is fenced (or its row is gone). */
    boolean renew(String incarnation) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE " + sql.nodes + " SET lease_until = " + sql.nowMillis()
                     + " + ? WHERE incarnation = ? AND fenced = 0")) {
            ps.setLong(1, lease.toMillis());
            ps.setString(2, incarnation);
            int n = ps.executeUpdate();
            commitIfManual(c);
            return n == 1;
        }
    }

    /**
     * In the caller's transaction: counts one batch on this incarnation's row if it is not fenced,
     * holding the row's lock until that transaction ends. False: fenced (or no row), write nothing.
     */
    boolean claimUnfenced(Connection c, String incarnation) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + sql.nodes
                + " SET commit_batches = commit_batches + 1 WHERE incarnation = ? AND fenced = 0")) {
            ps.setString(1, incarnation);
            return ps.executeUpdate() == 1;
        }
    }

    /** In the caller's transaction: fences the incarnation (waits for a COMMIT batch holding its row). */
    void fence(Connection c, String incarnation) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + sql.nodes + " SET fenced = 1 WHERE incarnation = ?")) {
            ps.setString(1, incarnation);
            ps.executeUpdate();
        }
    }

    /** True if the incarnation holds no live lease (lapsed, fenced or no row), by the database's clock. */
    boolean isLapsed(Connection c, String incarnation) throws SQLException {
        return !anyLive(c, "incarnation", incarnation);
    }

    /**
     * True if {@code nodeId} registered in this log and no incarnation of it holds a live lease. A
     * node with no row at all never used this log (every incarnation registers before it issues a
     * gtrid): its decisions are kept elsewhere, so it is not known to be gone.
     */
    boolean isNodeLapsed(String nodeId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + sql.nodes + " WHERE node_id = ?")) {
            ps.setString(1, nodeId);
            boolean registered;
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                registered = rs.getLong(1) > 0;
            }
            boolean lapsed = registered && !anyLive(c, "node_id", nodeId);
            commitIfManual(c);
            return lapsed;
        }
    }

    /** Unfenced incarnations whose lease has lapsed (a recovery pass may have work to take over). */
    int countLapsedUnfenced() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + sql.nodes + " WHERE fenced = 0 AND"
                     + " lease_until <= " + sql.nowMillis())) {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                int n = rs.getInt(1);
                commitIfManual(c);
                return n;
            }
        }
    }

    private boolean anyLive(Connection c, String column, String value) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + sql.nodes + " WHERE " + column
                + " = ? AND fenced = 0 AND lease_until > " + sql.nowMillis())) {
            ps.setString(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        }
    }

    static void commitIfManual(Connection c) throws SQLException {
        if (!c.getAutoCommit()) {
            c.commit();
        }
    }
}
