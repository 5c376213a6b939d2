package io.quorumtx.jdbc.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * The only class of jdbc-adapter that uses HikariCP, an optional dependency: the pool the
 * XA-wrapping style builds, the side pool for pre-commit markers copied from an application's
 * HikariCP pool, and evicting a connection that must not be reused. Loading it needs HikariCP, so
 * nothing may call it before {@link HikariPresence} has said HikariCP is there (or, for a
 * DataSource, that it is a HikariCP pool). Its signatures use only JDK types, so callers load
 * without HikariCP.
 */
public final class HikariSupport {

    private HikariSupport() {
    }

    static boolean isPool(DataSource dataSource) {
        return dataSource instanceof HikariDataSource;
    }

    /**
     * A HikariCP pool named {@code poolName} over {@code connections} (for the XA-wrapping style, an
     * {@link XaConnectionSource}); a null size or timeout keeps HikariCP's default. Close it with
     * {@link #close(DataSource)}.
     */
    public static DataSource pool(String poolName, DataSource connections, Integer maximumPoolSize,
            Integer minimumIdle, Duration connectionTimeout) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(poolName);
        config.setDataSource(connections);
        config.setAutoCommit(true);
        if (maximumPoolSize != null) {
            config.setMaximumPoolSize(maximumPoolSize);
        }
        if (minimumIdle != null) {
            config.setMinimumIdle(minimumIdle);
        }
        if (connectionTimeout != null) {
            config.setConnectionTimeout(connectionTimeout.toMillis());
        }
        return new HikariDataSource(config);
    }

    /**
     * A pool of at most two connections with the settings of the HikariCP pool {@code application}
     * (its own connections are the application's), named {@code poolName}, without its metrics.
     */
    static DataSource sidePool(DataSource application, String poolName) {
        HikariConfig config = new HikariConfig();
        ((HikariDataSource) application).copyStateTo(config);
        config.setPoolName(poolName);
        config.setMaximumPoolSize(2);
        config.setMinimumIdle(0);
        config.setAutoCommit(true);
        config.setMetricRegistry(null);
        config.setHealthCheckRegistry(null);
        return new HikariDataSource(config);
    }

    /** Removes {@code connection} from the HikariCP pool {@code pool} and closes it, rather than reusing it. */
    public static void evict(DataSource pool, Connection connection) {
        ((HikariDataSource) pool).evictConnection(connection);
    }

    /** Closes a pool made by {@link #pool} or {@link #sidePool}. */
    public static void close(DataSource pool) {
        ((HikariDataSource) pool).close();
    }
}
