package io.quorumtx.bench;

import java.sql.SQLException;

/**
 * A transaction manager (or none, for {@code raw-xa}) set up over the two bank databases of one
 * workload. Each benchmark thread gets its own {@link Client}; systems that hand-enlist
 * connections keep them per client, pooled systems share their pools.
 */
interface TransferSystem extends AutoCloseable {

    Client newClient() throws Exception;

    @Override
    void close() throws SQLException;

    /** What this system did since the last call that explains its numbers (printed per cell); may be empty. */
    default String diagnostics() {
        return "";
    }

    interface Client extends AutoCloseable {
        /**
         * One transaction: debit {@code fromId} in A and credit {@code toId} in B by
         * {@code amount}. Returns normally only if the transaction committed; otherwise throws
         * and leaves both databases unchanged.
         */
        void transfer(int fromId, int toId, long amount) throws Exception;

        @Override
        default void close() throws SQLException {
        }
    }
}
