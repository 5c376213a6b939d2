package io.quorumtx.it.support;

import io.quorumtx.testsupport.H2Bank;
import java.util.List;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.tm.QuorumTransactionManager;

/** The two ways an application wraps a database; every end-to-end test runs with both. */
public enum WrappingStyle {
    /** (a) H2's XADataSource, pooled by the adapter with HikariCP. */
    XA {
        @Override
        TransactionalDataSource wrap(QuorumTransactionManager tm, H2Bank bank, Faults faults, int poolSize,
                                     List<AutoCloseable> closeables) {
            return TransactionalDataSource.builder(tm)
                    .name(bank.name())
                    .xaDataSource(new FaultInjectingXADataSource(bank.h2DataSource(), faults))
                    .maximumPoolSize(poolSize)
                    .build();
        }
    },
    /** (b) The application's own HikariDataSource plus the H2 dialect (PREPARE COMMIT ...). */
    DIALECT {
        @Override
        TransactionalDataSource wrap(QuorumTransactionManager tm, H2Bank bank, Faults faults, int poolSize,
                                     List<AutoCloseable> closeables) {
            HikariConfig config = new HikariConfig();
            config.setPoolName("it-" + bank.name());
            config.setDataSource(new FaultInjectingDataSource(bank.h2DataSource(), faults));
            config.setMaximumPoolSize(poolSize);
            HikariDataSource hikari = new HikariDataSource(config);
            closeables.add(hikari);
            return TransactionalDataSource.builder(tm)
                    .name(bank.name())
                    .dataSource(hikari)
                    .dialect(Dialect.h2())
                    .build();
        }
    };

    abstract TransactionalDataSource wrap(QuorumTransactionManager tm, H2Bank bank, Faults faults, int poolSize,
                                          List<AutoCloseable> closeables);
}
