package io.quorumtx.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import javax.sql.XAConnection;
import javax.sql.XADataSource;
import org.slf4j.LoggerFactory;

/**
 * Where pre-commit markers get connections that are not the application pool's (see
 * {@link PreCommitMarkerTable}): a fresh XAConnection of the driver, a plain DataSource that makes
 * a connection per call, or, for a HikariCP pool the application passed in, a small pool of two
 * connections with the same settings, opened only when the first marker is written.
 */
public final class MarkerConnections {

    private MarkerConnections() {
    }

    /** A physical connection of the driver's XADataSource per lease (outside any pool). */
    public static PreCommitMarkerTable.ConnectionSource of(XADataSource xa) {
        return () -> {
            XAConnection x = xa.getXAConnection();
            Connection c;
            try {
                c = x.getConnection();
            } catch (SQLException | RuntimeException e) {
                x.close();
                throw e;
            }
            return lease(c, () -> {
                try {
                    x.close();
                } catch (SQLException e) {
                    LoggerFactory.getLogger(MarkerConnections.class).debug("Closing a marker XAConnection failed", e);
                }
            });
        };
    }

    /**
     * Connections for a DataSource: a side pool copied from it if it is a HikariCP pool (its own
     * connections are the application's), otherwise the DataSource itself.
     */
    public static SidePool of(DataSource dataSource, String resourceName) {
        return new SidePool(dataSource, resourceName);
    }

    /** See {@link #of(DataSource, String)}; {@link #close()} closes the side pool if one was opened. */
    public static final class SidePool implements PreCommitMarkerTable.ConnectionSource, AutoCloseable {
        private final DataSource dataSource;
        private final String resourceName;
        private final boolean hikariPool;
        private DataSource side; // guarded by this

        SidePool(DataSource dataSource, String resourceName) {
            this.dataSource = dataSource;
            this.resourceName = resourceName;
            this.hikariPool = HikariPresence.isPool(dataSource);
        }

        @Override
        public PreCommitMarkerTable.Lease open() throws SQLException {
            Connection c = source().getConnection();
            return lease(c, () -> {
                try {
                    c.close();
                } catch (SQLException e) {
                    LoggerFactory.getLogger(MarkerConnections.class).debug("Closing a marker connection failed", e);
                }
            });
        }

        private synchronized DataSource source() {
            if (!hikariPool) {
                return dataSource;
            }
            if (side == null) {
                side = HikariSupport.sidePool(dataSource, "quorumtx-markers-" + resourceName);
            }
            return side;
        }

        @Override
        public synchronized void close() {
            if (side != null) {
                HikariSupport.close(side);
                side = null;
            }
        }
    }

    private static PreCommitMarkerTable.Lease lease(Connection c, Runnable close) {
        return new PreCommitMarkerTable.Lease() {
            @Override
            public Connection connection() {
                return c;
            }

            @Override
            public void close() {
                close.run();
            }
        };
    }
}
