package io.quorumtx.lock;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * The connection the watchdog renews leases on, kept by the service from its first grant until
 * it is closed. Renewals on the application's pool would wait behind the application: a pool
 * exhausted for as long as a lease (HikariCP waits 30 s by default, the default lease) would let
 * every held lease lapse. On a connection of its own a renewal waits for nobody but the database,
 * and each statement is bounded by a query timeout well inside the lease. A broken connection is
 * dropped and a new one taken at the next renewal. Renewals of all the service's locks take turns
 * on it (each is one short UPDATE).
 */
final class RenewalConnection implements AutoCloseable {
    private final DataSource dataSource;
    private Connection connection; // guarded by this

    RenewalConnection(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Takes the connection now (at a grant, while a connection was just to be had), if not yet held. */
    synchronized void reserve() throws SQLException {
        if (connection == null || connection.isClosed()) {
            Connection c = dataSource.getConnection();
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            connection = c;
        }
    }

    /** Runs {@code renewSql} (lease ms, owner, token, name) and returns the rows it changed. */
    synchronized int renew(String renewSql, String name, String owner, long token, Duration lease) throws SQLException {
        reserve();
        try (PreparedStatement ps = connection.prepareStatement(renewSql)) {
            ps.setQueryTimeout((int) Math.max(1, lease.toSeconds() / 6));
            ps.setLong(1, lease.toMillis());
            ps.setString(2, owner);
            ps.setLong(3, token);
            ps.setString(4, name);
            return ps.executeUpdate();
        } catch (SQLException e) {
            close(); // a fresh connection for the next renewal
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // it was broken anyway
            }
            connection = null;
        }
    }
}
