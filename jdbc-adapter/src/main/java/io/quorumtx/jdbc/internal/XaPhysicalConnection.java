package io.quorumtx.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executor;
import javax.sql.XAConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What HikariCP pools when it wraps an {@code XADataSource}: the logical connection of one
 * {@link XAConnection}, which keeps the XAConnection (and its named XAResource) reachable through
 * {@link #unwrap} and closes it when the pool closes this connection.
 *
 * <p>HikariCP pools {@link Connection}s, not XAConnections; this is the smallest bridge. The
 * XAConnection lives exactly as long as the pooled entry, so the XAResource the transaction
 * manager enlists is always the one of the physical connection the application is using.
 *
 * <p>This class holds the calls that do more than forward to the logical connection; the rest is
 * forwarded by {@code ForwardingXaPhysicalConnection}, generated at build time ({@link GenerateForwarders}).
 */
@GenerateForwarders
abstract class XaPhysicalConnection extends DelegatingConnection {

    private static final Logger LOG = LoggerFactory.getLogger(XaPhysicalConnection.class);

    private final XAConnection xaConnection;
    private final Connection logical;
    private final NamedXaResource resource;
    private final boolean closeRollsBackPreparedBranch;

    XaPhysicalConnection(XAConnection xaConnection, Connection logical, NamedXaResource resource,
                         boolean closeRollsBackPreparedBranch) {
        this.xaConnection = xaConnection;
        this.logical = logical;
        this.resource = resource;
        this.closeRollsBackPreparedBranch = closeRollsBackPreparedBranch;
    }

    public NamedXaResource resource() {
        return resource;
    }

    @Override
    final Connection delegate() {
        return logical;
    }

    /**
     * Closes the XAConnection, except when that would abort a prepared branch the transaction
     * manager may have decided to commit: H2 2.4.240's XAConnection rolls back its session, even a
     * prepared one, when it or its handle is closed. That session is left open instead; its branch
     * stays in doubt for recovery, and H2 keeps it when the database closes.
     */
    @Override
    public void close() throws SQLException {
        if (keepForPreparedBranch()) {
            return;
        }
        try {
            logical.close();
        } finally {
            xaConnection.close();
        }
    }

    private boolean keepForPreparedBranch() {
        if (closeRollsBackPreparedBranch && resource.holdsPreparedBranch()) {
            LOG.warn("Not closing a connection of {}: its branch is prepared and closing would roll it back;"
                    + " recovery finishes the branch", resource.resourceName());
            return true;
        }
        return false;
    }

    @Override
    public void abort(Executor executor) throws SQLException {
        if (keepForPreparedBranch()) {
            return;
        }
        try {
            logical.abort(executor);
        } finally {
            xaConnection.close();
        }
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        if (type.isInstance(xaConnection)) {
            return type.cast(xaConnection);
        }
        return logical.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return type.isInstance(this) || type.isInstance(xaConnection) || logical.isWrapperFor(type);
    }

    @Override
    public String toString() {
        return "XaPhysicalConnection[" + resource.resourceName() + ", " + logical + "]";
    }
}
