package io.quorumtx.jdbc.testing;

import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.QuorumTransactionManager;
import java.sql.SQLException;
import java.util.function.UnaryOperator;

/** A TransactionalDataSource over an H2 URL in either wrapping style, with the pool behind it. */
public record Wrapped(TransactionalDataSource dataSource, HikariDataSource pool, boolean ownsPool) implements AutoCloseable {

    public enum Style { XA, DIALECT }

    public static Wrapped of(Style style, QuorumTransactionManager tm, String name, String url) throws SQLException {
        return of(style, tm, name, url, UnaryOperator.identity());
    }

    public static Wrapped of(Style style, QuorumTransactionManager tm, String name, String url,
                             UnaryOperator<TransactionalDataSource.Builder> options) throws SQLException {
        TransactionalDataSource.Builder builder = TransactionalDataSource.builder(tm).name(name);
        Wrapped wrapped;
        if (style == Style.XA) {
            TransactionalDataSource ds = options.apply(builder.xaDataSource(H2Bank.xaDataSource(url)).maximumPoolSize(4)).build();
            wrapped = new Wrapped(ds, ds.unwrap(HikariDataSource.class), false);
        } else {
            HikariDataSource pool = H2Bank.pool(url, 4);
            wrapped = new Wrapped(options.apply(builder.dataSource(pool).dialect(Dialect.h2())).build(), pool, true);
        }
        // Registering the DataSource queues a recovery pass, which borrows a pool connection for a
        // moment (dialect style). Run it now, so tests that count pool connections see only theirs.
        tm.recover();
        return wrapped;
    }

    public int activeConnections() {
        return pool.getHikariPoolMXBean().getActiveConnections();
    }

    @Override
    public void close() {
        dataSource.close();
        if (ownsPool) {
            pool.close();
        }
    }
}
