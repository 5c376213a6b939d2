package io.quorumtx.jdbc.internal;

import io.quorumtx.jdbc.internal.shared.ConnectionBoundResource;
import jakarta.transaction.Synchronization;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * One wrapped DataSource's part in one transaction: the pooled connection that carries its
 * branch, shared by every handle the application gets in that transaction. Stored in the
 * transaction's synchronization registry under the DataSource, and registered there as an
 * interposed synchronization, so the connection goes back to the pool only after the
 * transaction manager has finished the branch.
 */
public final class Enlistment implements Synchronization, ConnectionBoundResource.Release {

    /** Where a connection goes when its transaction is over. */
    public interface Pool {
        /** {@code reusable}: back to the pool; otherwise the physical connection is closed. */
        void giveBack(Connection pooled, boolean reusable);
    }

    private final Connection pooled;
    private final ConnectionBoundResource resource;
    private final Pool pool;
    private final TransactionControlSql sqlRules;
    private volatile boolean completed;

    /** {@code sqlRules}: what SQL the handles refuse, from {@link TransactionControlSql#of(Connection)}. */
    public Enlistment(Connection pooled, ConnectionBoundResource resource, Pool pool, TransactionControlSql sqlRules) {
        this.pooled = pooled;
        this.resource = resource;
        this.pool = pool;
        this.sqlRules = sqlRules;
    }

    TransactionControlSql sqlRules() {
        return sqlRules;
    }

    /** The physical connection, while the transaction lasts. */
    Connection connection() throws SQLException {
        if (completed) {
            throw new SQLException("the QuorumTX transaction this connection was enlisted in has completed;"
                    + " close this handle and get a new connection", "08003");
        }
        return pooled;
    }

    boolean isCompleted() {
        return completed;
    }

    public EnlistedConnection newHandle() {
        return new ForwardingEnlistedConnection(this);
    }

    /** For an enlistment that never joined the transaction: give the connection back now (or when its branch ends). */
    public void abandon() {
        completed = true;
        resource.releaseWhenBranchEnds(this);
    }

    /** Called by the resource, once, when the connection may leave the transaction. */
    @Override
    public void release(boolean reusable) {
        pool.giveBack(pooled, reusable);
    }

    @Override
    public void beforeCompletion() {
        // the branch is still open; nothing to do until the outcome is known
    }

    @Override
    public void afterCompletion(int status) {
        if (completed) {
            return;
        }
        completed = true;
        // The status does not matter here: the resource knows whether its branch finished cleanly.
        resource.releaseWhenBranchEnds(this);
    }
}
