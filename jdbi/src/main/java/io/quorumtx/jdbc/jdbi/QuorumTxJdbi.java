package io.quorumtx.jdbc.jdbi;

import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.tm.QuorumTransactionManager;
import java.util.Objects;
import org.jdbi.v3.core.Jdbi;

/**
 * A {@link Jdbi} over a {@link TransactionalDataSource} that takes part in QuorumTX transactions:
 *
 * <pre>{@code
 * Jdbi orders = QuorumTxJdbi.create(tm, ordersDataSource).installPlugin(new SqlObjectPlugin());
 * }</pre>
 *
 * <p>Its handles use {@link TransactionAwareConnection}s, so a handle opened before a transaction
 * began (as {@code jdbi.inTransaction} does) still does its work in that transaction; and its
 * {@link JtaTransactionHandler} makes {@code inTransaction}, {@code begin/commit/rollback} and
 * SqlObject {@code @Transaction} begin a QuorumTX transaction, or join the caller's.
 */
public final class QuorumTxJdbi {

    private QuorumTxJdbi() {
    }

    public static Jdbi create(QuorumTransactionManager tm, TransactionalDataSource dataSource) {
        Objects.requireNonNull(tm, "tm");
        Objects.requireNonNull(dataSource, "dataSource");
        return Jdbi.create(() -> TransactionAwareConnection.open(tm, dataSource)).installPlugin(new QuorumTxPlugin(tm));
    }
}
