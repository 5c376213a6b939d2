package io.quorumtx.it.realdb;

import static io.quorumtx.testsupport.ExternalDatabases.DATABASE_A;
import static io.quorumtx.testsupport.ExternalDatabases.DATABASE_B;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;

import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.ExternalDatabases.Server;

/**
 * Which databases one transaction spans: two databases on one PostgreSQL server, two on one
 * MariaDB server, or H2 + PostgreSQL + MariaDB together. One branch of each server topology (and
 * the PostgreSQL branch of the mixed one) logs in as the dedicated user with a password, so the
 * password reaches the driver on the commit path and on the retry and recovery paths too.
 */
public enum Topology {
    POSTGRESQL {
        @Override
        public List<Bank> open(Path directory, int accounts, List<String> tables) throws SQLException {
            Server pg = ExternalDatabases.postgresql();
            return List.of(new ServerBank(pg, DATABASE_A, pg.admin(), "pg-a", accounts, table(tables, 0)),
                    new ServerBank(pg, DATABASE_B, ExternalDatabases.appUser(), "pg-b", accounts, table(tables, 1)));
        }
    },
    MARIADB {
        @Override
        public List<Bank> open(Path directory, int accounts, List<String> tables) throws SQLException {
            Server maria = ExternalDatabases.mariadb();
            return List.of(new ServerBank(maria, DATABASE_A, maria.admin(), "maria-a", accounts, table(tables, 0)),
                    new ServerBank(maria, DATABASE_B, ExternalDatabases.appUser(), "maria-b", accounts,
                            table(tables, 1)));
        }
    },
    MIXED {
        @Override
        public List<Bank> open(Path directory, int accounts, List<String> tables) throws SQLException {
            Server pg = ExternalDatabases.postgresql();
            Server maria = ExternalDatabases.mariadb();
            return List.of(new H2FileBank(directory, "h2", accounts, tables == null),
                    new ServerBank(pg, DATABASE_B, ExternalDatabases.appUser(), "pg", accounts, table(tables, 1)),
                    new ServerBank(maria, DATABASE_A, maria.admin(), "maria", accounts, table(tables, 2)));
        }
    },
    /**
     * PostgreSQL and MariaDB, one database each: the fault campaign's transfers
     * ({@code io.quorumtx.it.faults}). Not among {@link #everyTestsOwn()}.
     */
    POSTGRESQL_AND_MARIADB {
        @Override
        public List<Bank> open(Path directory, int accounts, List<String> tables) throws SQLException {
            Server pg = ExternalDatabases.postgresql();
            Server maria = ExternalDatabases.mariadb();
            return List.of(new ServerBank(pg, DATABASE_A, pg.admin(), "pg", accounts, table(tables, 0)),
                    new ServerBank(maria, DATABASE_B, ExternalDatabases.appUser(), "maria", accounts,
                            table(tables, 1)));
        }
    };

    /** The topologies every test of this package runs on (the campaign's own topology is not one). */
    static List<Topology> everyTestsOwn() {
        return List.of(POSTGRESQL, MARIADB, MIXED);
    }

    /**
     * Checks the servers (skipping or failing the test when one is missing) and creates a fresh
     * accounts table in each database, {@code accounts} rows of {@link Bank#INITIAL_BALANCE}.
     */
    public List<Bank> open(Path directory, int accounts) throws SQLException {
        return open(directory, accounts, null);
    }

    /** With {@code tables} (one per bank, as {@link Bank#table()} named them): attaches instead of creating. */
    public abstract List<Bank> open(Path directory, int accounts, List<String> tables) throws SQLException;

    private static String table(List<String> tables, int i) {
        return tables == null ? null : tables.get(i);
    }
}
