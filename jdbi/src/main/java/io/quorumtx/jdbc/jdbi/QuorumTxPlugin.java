package io.quorumtx.jdbc.jdbi;

import io.quorumtx.tm.QuorumTransactionManager;
import java.util.Objects;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.Handles;
import org.jdbi.v3.core.spi.JdbiPlugin;

/**
 * Installs the {@link JtaTransactionHandler}. A Jdbi handle then never ends a QuorumTX transaction
 * it did not begin, and closing a handle inside a caller's transaction is not an error (Jdbi's
 * check for handles closed with an open transaction is turned off: the transaction is the JTA
 * manager's, not the handle's). Use it with {@link QuorumTxJdbi#create}, which also gives the
 * handles connections that follow the current transaction.
 */
public final class QuorumTxPlugin implements JdbiPlugin {
    private final QuorumTransactionManager tm;

    public QuorumTxPlugin(QuorumTransactionManager tm) {
        this.tm = Objects.requireNonNull(tm, "tm");
    }

    @Override
    public void customizeJdbi(Jdbi jdbi) {
        jdbi.setTransactionHandler(new JtaTransactionHandler(tm));
        jdbi.getConfig(Handles.class).setForceEndTransactions(false);
    }
}
