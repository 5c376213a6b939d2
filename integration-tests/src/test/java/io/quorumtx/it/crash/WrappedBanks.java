package io.quorumtx.it.crash;

import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The bank databases wrapped for one transaction manager, each in its {@link Wrapping} style and
 * under its stable name — the crashed JVM and whoever recovers it must use the same names, since
 * the names are in the Xids and the commit records.
 */
final class WrappedBanks implements AutoCloseable {
    private final List<TransactionalDataSource> dataSources = new ArrayList<>();
    private final List<HikariDataSource> ownPools = new ArrayList<>();

    WrappedBanks(QuorumTransactionManager tm, Path dir, List<Backend> backends, List<Wrapping> wrappings,
            int poolSize) {
        try {
            for (int i = 0; i < wrappings.size(); i++) {
                String name = BankFiles.NAMES.get(i);
                Backend backend = backends.get(i);
                String url = backend.url(dir, name);
                TransactionalDataSource.Builder b = TransactionalDataSource.builder(tm).name(name);
                if (wrappings.get(i) == Wrapping.XA) {
                    b.xaDataSource(backend.xaDataSource(url)).maximumPoolSize(poolSize);
                } else {
                    HikariDataSource pool = backend.pool(url, "crash-" + name, poolSize);
                    ownPools.add(pool);
                    b.dataSource(pool).dialect(backend.dialect());
                }
                dataSources.add(b.build());
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    List<TransactionalDataSource> dataSources() {
        return dataSources;
    }

    @Override
    public void close() {
        dataSources.forEach(TransactionalDataSource::close);
        ownPools.forEach(HikariDataSource::close);
    }
}
