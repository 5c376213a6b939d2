package io.quorumtx.bench;

import java.nio.file.Path;
import java.sql.Connection;

import com.atomikos.icatch.jta.UserTransactionManager;
import com.atomikos.jdbc.AtomikosDataSourceBean;

import jakarta.transaction.Status;

/**
 * {@code atomikos}: Atomikos TransactionsEssentials 6.0.x (jakarta build) configured as its
 * "Spring-less / plain Java" guide shows: one {@link UserTransactionManager} (force shutdown on
 * close) and one {@link AtomikosDataSourceBean} per database over H2's {@code XADataSource}, with
 * min = max pool size = the highest thread count (so no client waits for a connection), logging
 * enabled (the default, forced writes) under {@code target/bench/atomikos}, and
 * {@code max_actives} raised above the highest thread count (the default of 50 refuses more
 * concurrent transactions). Everything else keeps Atomikos' defaults.
 */
final class AtomikosSystem implements TransferSystem {
    // Atomikos logs every setting at INFO (and a registration nag at WARNING) through
    // java.util.logging; keep the output readable.
    // A strong reference, because JUL holds loggers weakly and would forget the level.
    private static final java.util.logging.Logger ATOMIKOS_LOG = java.util.logging.Logger.getLogger("com.atomikos");

    static {
        ATOMIKOS_LOG.setLevel(java.util.logging.Level.SEVERE);
    }

    private final UserTransactionManager utm;
    private final AtomikosDataSourceBean dsA;
    private final AtomikosDataSourceBean dsB;

    AtomikosSystem(BankDatabase a, BankDatabase b, Path logDirectory, String workload, int poolSize)
            throws Exception {
        String dir = logDirectory.toAbsolutePath().toString();
        System.setProperty("com.atomikos.icatch.log_base_dir", dir);
        System.setProperty("com.atomikos.icatch.output_dir", dir);
        System.setProperty("com.atomikos.icatch.tm_unique_name", "bench-atomikos");
        System.setProperty("com.atomikos.icatch.max_actives", Integer.toString(Math.max(50, poolSize * 2)));
        System.setProperty("com.atomikos.icatch.default_jta_timeout", "60000");
        utm = new UserTransactionManager();
        utm.setForceShutdown(true);
        utm.init();
        dsA = dataSource(a, "bench-a-" + workload, poolSize);
        dsB = dataSource(b, "bench-b-" + workload, poolSize);
    }

    private static AtomikosDataSourceBean dataSource(BankDatabase db, String name, int poolSize) throws Exception {
        AtomikosDataSourceBean ds = new AtomikosDataSourceBean();
        ds.setUniqueResourceName(name);
        ds.setXaDataSource(db.xaDataSource());
        ds.setMinPoolSize(poolSize);
        ds.setMaxPoolSize(poolSize);
        ds.setBorrowConnectionTimeout(30);
        ds.init();
        return ds;
    }

    @Override
    public Client newClient() {
        return (fromId, toId, amount) -> {
            utm.begin();
            try {
                try (Connection c = dsA.getConnection()) {
                    Transfers.debit(c, fromId, amount);
                }
                try (Connection c = dsB.getConnection()) {
                    Transfers.credit(c, toId, amount);
                }
            } catch (Exception e) {
                utm.rollback();
                throw e;
            }
            try {
                utm.commit();
            } finally {
                if (utm.getStatus() != Status.STATUS_NO_TRANSACTION) {
                    utm.rollback();
                }
            }
        };
    }

    @Override
    public void close() {
        dsA.close();
        dsB.close();
        utm.close();
    }
}
