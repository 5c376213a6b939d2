package io.quorumtx.lock;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.testsupport.ExternalDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;

/** A database to keep locks in for a test: H2 (a file), PostgreSQL or MariaDB, with a fresh table name. */
enum LockBackend {
    H2 {
        @Override
        String url(Path dir) {
            return "jdbc:h2:file:" + dir.resolve("locks").toAbsolutePath() + ";WRITE_DELAY=0;LOCK_TIMEOUT=10000";
        }

        @Override
        Dialect dialect() {
            return Dialect.h2();
        }
    },
    POSTGRESQL {
        @Override
        String url(Path dir) {
            return ExternalDatabases.Server.POSTGRESQL.require().url();
        }

        @Override
        Dialect dialect() {
            return Dialect.postgresql();
        }
    },
    MARIADB {
        @Override
        String url(Path dir) {
            return ExternalDatabases.mariadb().url();
        }

        @Override
        Dialect dialect() {
            return Dialect.mysql();
        }
    };

    abstract String url(Path dir);

    abstract Dialect dialect();

    /** A pool on this backend (skips the test when the server is absent and not required). */
    HikariDataSource pool(Path dir) {
        return pool(dir, 12, Duration.ofSeconds(30));
    }

    /** A pool of {@code size} connections that waits {@code wait} for one when all are in use. */
    HikariDataSource pool(Path dir, int size, Duration wait) {
        HikariConfig config = new HikariConfig();
        config.setConnectionTimeout(wait.toMillis());
        config.setJdbcUrl(url(dir));
        if (this == H2) {
            config.setUsername("sa");
        }
        config.setMaximumPoolSize(size);
        config.setPoolName("locks-" + name().toLowerCase(java.util.Locale.ROOT));
        return new HikariDataSource(config);
    }

    static String freshTable() {
        return "locks_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    static void drop(HikariDataSource pool, String table) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + table);
            s.execute("DROP TABLE IF EXISTS " + table + LockSql.RELEASED_SUFFIX); // MariaDB's memory table of releases
        }
    }
}
