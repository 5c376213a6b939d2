package io.quorumtx.messaging;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Which partitions of keys one relay may publish: a lease row per partition in
 * {@code <table>_lease}, taken and renewed by conditional UPDATEs whose times the database's clock
 * decides, and a heartbeat row per relay in {@code <table>_relays}, so that every relay knows how
 * many are alive and takes its fair share ({@code ceil(partitions / live relays)}): a relay holding
 * more releases the surplus after its current batch, which a newcomer then takes.
 *
 * <p>A partition has one owner at a time: a lease is taken only when free, expired, or already this
 * relay's, and every take increments the row's token. A relay trusts its lease until
 * {@code lease} after the moment it sent the take or renewal (before the database's own start of the
 * lease, so never past it), minus the time a publication may take; a renewal succeeds only with an
 * unchanged token, which proves nobody took the partition meanwhile. A relay that dies simply stops
 * renewing: after its lease, another relay takes its partitions and re-publishes what the dead one
 * published but had not yet deleted (at-least-once; the message id de-duplicates).
 *
 * <p>Confined to the relay's thread (or the caller of {@code relayOnce}); not thread-safe.
 */
final class PartitionLeases {
    private final DataSource dataSource;
    private final OutboxSql sql;
    private final String owner;
    private final int partitions;
    private final Duration lease;
    /** Subtracted from a lease's local end: a batch must finish within it. */
    private final Duration margin;
    /** Held partitions: part → token. */
    private final TreeMap<Integer, Long> tokens = new TreeMap<>();
    /** System.nanoTime() until which the held partitions may be published. */
    private long validUntilNanos;
    private boolean rowsCreated;

    PartitionLeases(DataSource dataSource, OutboxSql sql, String owner, int partitions, Duration lease,
            Duration margin) {
        this.dataSource = dataSource;
        this.sql = sql;
        this.owner = owner;
        this.partitions = partitions;
        this.lease = lease;
        this.margin = margin;
    }

    /** The partitions this relay may publish now (empty if its leases may have ended). */
    List<Integer> owned() {
        if (tokens.isEmpty() || System.nanoTime() - validUntilNanos >= 0) {
            return List.of();
        }
        return List.copyOf(tokens.keySet());
    }

    /**
     * Renews the held leases, announces this relay, gives back the surplus over its fair share and
     * takes free or expired partitions up to it.
     */
    void maintain() throws SQLException {
        long started = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            if (!rowsCreated) {
                createRows(c);
            }
            heartbeat(c);
            renew(c);
            int relays = liveRelays(c);
            int fair = (partitions + relays - 1) / relays;
            Map<Integer, Boolean> live = new TreeMap<>();
            Map<Integer, String> owners = new TreeMap<>();
            listLeases(c, live, owners);
            while (tokens.size() > fair) {
                int part = tokens.lastKey();
                release(c, part, tokens.remove(part));
            }
            // Start at a different partition per relay, so that two newcomers do not fight over the same ones.
            int start = Math.floorMod(owner.hashCode(), partitions);
            for (int i = 0; i < partitions && tokens.size() < fair; i++) {
                int part = (start + i) % partitions;
                if (tokens.containsKey(part)) {
                    continue;
                }
                boolean free = owners.get(part) == null || !live.getOrDefault(part, false);
                if (free) {
                    acquire(c, part);
                }
            }
        }
        validUntilNanos = started + lease.minus(margin).toNanos();
    }

    /** Gives back every held partition and removes this relay's heartbeat (a clean shutdown). */
    void releaseAll() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            for (Map.Entry<Integer, Long> e : tokens.entrySet()) {
                release(c, e.getKey(), e.getValue());
            }
            tokens.clear();
            try (PreparedStatement ps = c.prepareStatement(sql.deleteRelay())) {
                ps.setString(1, owner);
                ps.executeUpdate();
            }
        }
    }

    /** Forgets the leases without touching the database (after a failure: they may be gone). */
    void forget() {
        tokens.clear();
    }

    private void createRows(Connection c) throws SQLException {
        for (int part = 0; part < partitions; part++) {
            try (PreparedStatement ps = c.prepareStatement(sql.insertLease())) {
                ps.setInt(1, part);
                ps.executeUpdate();
            } catch (SQLException e) {
                if (!OutboxSql.isDuplicateKey(e)) {
                    throw e;
                }
            }
        }
        rowsCreated = true;
    }

    private void heartbeat(Connection c) throws SQLException {
        Duration seen = lease.multipliedBy(2);
        try (PreparedStatement ps = c.prepareStatement(sql.renewRelay())) {
            ps.setLong(1, seen.toMillis());
            ps.setString(2, owner);
            if (ps.executeUpdate() == 1) {
                return;
            }
        }
        try (PreparedStatement ps = c.prepareStatement(sql.insertRelay())) {
            ps.setString(1, owner);
            ps.setLong(2, seen.toMillis());
            ps.executeUpdate();
        } catch (SQLException e) {
            if (!OutboxSql.isDuplicateKey(e)) {
                throw e;
            }
        }
    }

    private int liveRelays(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.liveRelays()); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return Math.max(1, rs.getInt(1));
        }
    }

    private void listLeases(Connection c, Map<Integer, Boolean> live, Map<Integer, String> owners) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.listLeases()); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                owners.put(rs.getInt(1), rs.getString(2));
                live.put(rs.getInt(1), rs.getInt(3) == 1);
            }
        }
    }

    private void renew(Connection c) throws SQLException {
        List<Integer> lost = new ArrayList<>();
        for (Map.Entry<Integer, Long> e : tokens.entrySet()) {
            try (PreparedStatement ps = c.prepareStatement(sql.renewLease())) {
                ps.setLong(1, lease.toMillis());
                ps.setInt(2, e.getKey());
                ps.setString(3, owner);
                ps.setLong(4, e.getValue());
                if (ps.executeUpdate() != 1) {
                    lost.add(e.getKey());
                }
            }
        }
        lost.forEach(tokens::remove);
    }

    private void acquire(Connection c, int part) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.acquireLease())) {
            ps.setString(1, owner);
            ps.setLong(2, lease.toMillis());
            ps.setInt(3, part);
            ps.setString(4, owner);
            if (ps.executeUpdate() != 1) {
                return; // another relay took it first
            }
        }
        try (PreparedStatement ps = c.prepareStatement(sql.leaseToken())) {
            ps.setInt(1, part);
            ps.setString(2, owner);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    tokens.put(part, rs.getLong(1));
                }
            }
        }
    }

    private void release(Connection c, int part, long token) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.releaseLease())) {
            ps.setInt(1, part);
            ps.setString(2, owner);
            ps.setLong(3, token);
            ps.executeUpdate();
        }
    }
}
