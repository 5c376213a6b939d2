package io.quorumtx.jdbc.internal;

import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.dialect.DialectXAResource;
import io.quorumtx.jdbc.internal.shared.ConnectionBoundResource;
import io.quorumtx.jdbc.internal.shared.JdbcLocality;
import io.quorumtx.jdbc.internal.shared.Redaction;
import io.quorumtx.tm.spi.PreCommitMarkers;
import io.quorumtx.tm.spi.RecoverableResource;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import javax.sql.XAConnection;
import javax.sql.XADataSource;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import org.slf4j.LoggerFactory;

/**
 * The one difference between the two wrapping styles: where the XAResource of a pooled
 * connection comes from, and how the transaction manager gets a connection of its own for
 * retries and recovery. The returned resources are also {@link ConnectionBoundResource}s.
 */
public interface Participants extends RecoverableResource {

    /** The resource that carries the branch of {@code pooled}, a connection from the pool. */
    XAResource resourceFor(Connection pooled) throws SQLException;

    /** Style (a): each pooled connection is an {@link XaPhysicalConnection} with its own driver XAResource. */
    static Participants xa(String name, XADataSource xaDataSource, PreCommitMarkers markers) {
        return new Participants() {
            @Override
            public PreCommitMarkers preCommitMarkers() {
                return markers;
            }

            @Override
            public XAResource resourceFor(Connection pooled) throws SQLException {
                return pooled.unwrap(XaPhysicalConnection.class).resource();
            }

            @Override
            public String resourceName() {
                return name;
            }

            @Override
            public RecoveryConnection openRecoveryConnection() throws XAException {
                XAConnection xa;
                try {
                    xa = xaDataSource.getXAConnection();
                } catch (SQLException e) {
                    throw unreachable(name, e);
                }
                XAResource resource;
                try {
                    resource = recoveryResource(name, xa);
                } catch (SQLException e) {
                    closeQuietly(xa);
                    throw unreachable(name, e);
                }
                return new RecoveryConnection() {
                    @Override
                    public XAResource xaResource() {
                        return resource;
                    }

                    @Override
                    public void close() {
                        closeQuietly(xa);
                    }
                };
            }
        };
    }

    /** Style (b): a {@link DialectXAResource} over the pooled connection itself. */
    static Participants dialect(String name, DataSource pool, Dialect dialect, PreCommitMarkers markers) {
        return new Participants() {
            /** Whether the pool's database is embedded: one answer for all its connections, read from the first. */
            private volatile Boolean inProcess;

            @Override
            public PreCommitMarkers preCommitMarkers() {
                return markers;
            }

            @Override
            public XAResource resourceFor(Connection pooled) {
                Boolean embedded = inProcess;
                if (embedded == null) {
                    embedded = JdbcLocality.inProcess(pooled);
                    inProcess = embedded;
                }
                return new DialectXAResource(pooled, dialect, name, embedded);
            }

            @Override
            public String resourceName() {
                return name;
            }

            @Override
            public RecoveryConnection openRecoveryConnection() throws XAException {
                Connection connection;
                try {
                    connection = pool.getConnection();
                    if (!connection.getAutoCommit()) {
                        connection.setAutoCommit(true);
                    }
                } catch (SQLException e) {
                    throw unreachable(name, e);
                }
                DialectXAResource resource = new DialectXAResource(connection, dialect, name);
                return new RecoveryConnection() {
                    @Override
                    public XAResource xaResource() {
                        return resource;
                    }

                    @Override
                    public void close() {
                        try {
                            connection.close();
                        } catch (SQLException e) {
                            LoggerFactory.getLogger(Participants.class)
                                    .warn("Could not close a recovery connection of {}", name, e);
                        }
                    }
                };
            }
        };
    }

    /**
     * H2's own XAResource finishes only one recovered branch per recover() pass (it tracks a single
     * "prepared" flag per connection); the H2 dialect names each branch in SQL and finishes them
     * all. Both write the same names, so H2 recovery goes through the dialect.
     */
    private static XAResource recoveryResource(String name, XAConnection xa) throws SQLException {
        Connection logical = xa.getConnection();
        String url = Redaction.url(logical);
        if ("H2".equalsIgnoreCase(logical.getMetaData().getDatabaseProductName())) {
            if (!logical.getAutoCommit()) {
                logical.setAutoCommit(true);
            }
            return new DialectXAResource(logical, Dialect.h2(), name);
        }
        return new NamedXaResource(name, xa.getXAResource(), url);
    }

    private static XAException unreachable(String name, SQLException cause) {
        XAException e = new XAException("cannot open a recovery connection to " + name + ": " + cause.getMessage());
        e.errorCode = XAException.XAER_RMFAIL;
        e.initCause(cause);
        return e;
    }

    private static void closeQuietly(XAConnection xa) {
        try {
            xa.close();
        } catch (SQLException e) {
            LoggerFactory.getLogger(Participants.class).warn("Could not close a recovery XAConnection", e);
        }
    }
}
