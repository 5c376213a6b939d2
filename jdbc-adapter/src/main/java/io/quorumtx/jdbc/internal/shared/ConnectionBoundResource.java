package io.quorumtx.jdbc.internal.shared;

/**
 * An XAResource tied to one pooled connection, which decides when that connection may leave the
 * transaction and whether it may go back to the pool.
 *
 * <p>A connection whose branch is prepared but not finished (phase 2 failed) is parked, not
 * released: the transaction manager's first retry goes through the same XAResource, and on H2
 * the preparing session is the only one that can safely finish the branch while it lives.
 * Returning such a connection would let the pool roll it back (on H2 a plain rollback on the
 * preparing session aborts a branch the manager may have decided to commit), and closing an H2
 * XAConnection rolls it back too. Once the branch is finished through this resource, or the
 * attempt fails, the connection is released. A connection left in any other unclear state is
 * evicted (its physical connection closed) at once.
 */
public interface ConnectionBoundResource {

    /** Receives the connection's fate exactly once. */
    interface Release {
        /** {@code reusable}: back to the pool; otherwise the physical connection is closed. */
        void release(boolean reusable);
    }

    /**
     * The connection the branch's statements run on while it is associated (the pooled connection
     * of the dialect style, the XAConnection's logical connection of the XA style), or null if this
     * resource has none (a recovery resource). The database commit log writes its COMMIT row on
     * it, so the row commits or rolls back with the branch.
     */
    default java.sql.Connection branchConnection() {
        return null;
    }

    /**
     * Called when the transaction has completed: calls {@code release} now, or later when a
     * prepared branch still open on the connection is finished (or fails again) through this resource.
     */
    void releaseWhenBranchEnds(Release release);
}
