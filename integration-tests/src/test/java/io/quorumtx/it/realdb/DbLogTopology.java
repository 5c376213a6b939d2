package io.quorumtx.it.realdb;

import static io.quorumtx.testsupport.ExternalDatabases.DATABASE;
import static io.quorumtx.testsupport.ExternalDatabases.DATABASE_A;
import static io.quorumtx.testsupport.ExternalDatabases.DATABASE_B;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.quorumtx.jdbc.dblog.DatabaseCommitLog;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.ExternalDatabases.Server;

/**
 * Three databases of one kind for the database commit log's crash and race tests: the first
 * holds the log's tables and carries the decision in its own branch, the other two are prepared,
 * so every point of the new path is reached (between the others' phase-2 commits needs two
 * others). H2 as file databases; PostgreSQL and MariaDB as three databases of the shared server
 * (skipped, or failed with {@code QUORUMTX_REQUIRE_DATABASES=1}, when the server is missing).
 */
enum DbLogTopology {
    H2 {
        @Override
        List<Bank> open(Path directory, int accounts, List<String> tables) throws SQLException {
            boolean create = tables == null;
            return List.of(new H2FileBank(directory, "h2-a", accounts, create),
                    new H2FileBank(directory, "h2-b", accounts, create),
                    new H2FileBank(directory, "h2-c", accounts, create));
        }
    },
    POSTGRESQL {
        @Override
        List<Bank> open(Path directory, int accounts, List<String> tables) throws SQLException {
            return server(ExternalDatabases.postgresql(), "pg", accounts, tables);
        }
    },
    MARIADB {
        @Override
        List<Bank> open(Path directory, int accounts, List<String> tables) throws SQLException {
            return server(ExternalDatabases.mariadb(), "maria", accounts, tables);
        }
    };

    /** Creates the banks ({@code tables} null) or attaches to the tables a parent test created. */
    abstract List<Bank> open(Path directory, int accounts, List<String> tables) throws SQLException;

    private static List<Bank> server(Server server, String name, int accounts, List<String> tables)
            throws SQLException {
        return List.of(new ServerBank(server, DATABASE_A, server.admin(), name + "-a", accounts, table(tables, 0)),
                new ServerBank(server, DATABASE_B, ExternalDatabases.appUser(), name + "-b", accounts, table(tables, 1)),
                new ServerBank(server, DATABASE, server.admin(), name + "-c", accounts, table(tables, 2)));
    }

    private static String table(List<String> tables, int i) {
        return tables == null ? null : tables.get(i);
    }

    /** A table prefix of its own, so runs sharing a server never see each other's decisions. */
    static String newPrefix() {
        return "qtxlog_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    /**
     * A database commit log in {@code carrier}'s database (a small pool of its own), carried by
     * that bank's branch. Not started: a manager starts it; the recovery tool's way is to use it as is.
     */
    static DatabaseCommitLog log(Bank carrier, String prefix, Duration lease, List<AutoCloseable> closeables) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("dblog-" + carrier.name());
        config.setDataSource(carrier.plainDataSource());
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(1);
        HikariDataSource pool = new HikariDataSource(config);
        closeables.add(pool);
        return DatabaseCommitLog.builder(pool, carrier.dialect()).tablePrefix(prefix).carriedBy(carrier.name())
                .leaseDuration(lease).settleTimeout(Duration.ofMillis(500)).build();
    }

    /** Drops the log's four tables from {@code carrier}'s database (a shared server keeps nothing of a test). */
    static void dropLogTables(Bank carrier, String prefix) throws SQLException {
        try (Connection c = carrier.plainDataSource().getConnection(); Statement s = c.createStatement()) {
            for (String table : List.of("_decisions", "_done", "_nodes", "_meta")) {
                s.execute("DROP TABLE IF EXISTS " + prefix + table);
            }
        }
    }
}
