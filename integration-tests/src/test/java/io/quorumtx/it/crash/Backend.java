package io.quorumtx.it.crash;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.testsupport.ExternalDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.List;
import javax.sql.XADataSource;
import org.h2.jdbcx.JdbcDataSource;

/**
 * The database product behind one bank database. H2 is an embedded file in the test's directory;
 * PostgreSQL and MariaDB are the local servers of the team brief, with one database per test
 * directory (named from it, so the crashed JVM, the test and the tool find the same one).
 */
enum Backend {
    H2 {
        @Override
        String url(Path dir, String bank) {
            return BankFiles.url(dir, bank);
        }

        @Override
        XADataSource xaDataSource(String url) {
            JdbcDataSource xa = new JdbcDataSource();
            xa.setURL(url);
            xa.setUser("sa");
            return xa;
        }

        @Override
        String user() {
            return "sa";
        }

        @Override
        Dialect dialect() {
            return Dialect.h2();
        }

        @Override
        String toolDialect() {
            return "h2";
        }

        @Override
        int inDoubt(Connection c, String bank) throws SQLException {
            return count(c, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.IN_DOUBT");
        }
    },
    POSTGRESQL {
        @Override
        String url(Path dir, String bank) {
            return "jdbc:postgresql://127.0.0.1:5432/" + databaseName(dir, bank) + "?user=postgres&connectTimeout=3";
        }

        @Override
        XADataSource xaDataSource(String url) {
            org.postgresql.xa.PGXADataSource xa = new org.postgresql.xa.PGXADataSource();
            xa.setURL(url);
            return xa;
        }

        @Override
        String user() {
            return "postgres";
        }

        @Override
        Dialect dialect() {
            return Dialect.postgresql();
        }

        @Override
        String toolDialect() {
            return "postgresql";
        }

        @Override
        int inDoubt(Connection c, String bank) throws SQLException {
            return count(c, "SELECT COUNT(*) FROM pg_prepared_xacts WHERE database = current_database()");
        }

        @Override
        void createDatabase(Path dir, String bank) throws SQLException {
            try (Connection c = DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres&connectTimeout=3");
                    Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + databaseName(dir, bank));
                s.execute("CREATE DATABASE " + databaseName(dir, bank));
            }
        }
    },
    MARIADB {
        @Override
        String url(Path dir, String bank) {
            return "jdbc:mariadb://127.0.0.1:3306/" + databaseName(dir, bank) + "?user=root&connectTimeout=3000";
        }

        @Override
        XADataSource xaDataSource(String url) {
            try {
                return new org.mariadb.jdbc.MariaDbDataSource(url);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        String user() {
            return "root";
        }

        @Override
        Dialect dialect() {
            return Dialect.mysql();
        }

        @Override
        String toolDialect() {
            return "mariadb";
        }

        /** XA RECOVER lists the whole server's branches: count only this bank's branches of our node. */
        @Override
        int inDoubt(Connection c, String bank) throws SQLException {
            int n = 0;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("XA RECOVER")) {
                while (rs.next()) {
                    int gtridLength = rs.getInt("gtrid_length");
                    String data = rs.getString("data");
                    if (data.startsWith(BankFiles.NODE_ID + ".") && data.substring(gtridLength).equals(bank)) {
                        n++;
                    }
                }
            }
            return n;
        }

        @Override
        void createDatabase(Path dir, String bank) throws SQLException {
            try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:3306/?user=root&connectTimeout=3000");
                    Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + databaseName(dir, bank));
                s.execute("CREATE DATABASE " + databaseName(dir, bank));
            }
        }
    };

    abstract String url(Path dir, String bank);

    abstract XADataSource xaDataSource(String url);

    abstract String user();

    abstract Dialect dialect();

    /** The dialect's name in the recovery tool's configuration. */
    abstract String toolDialect();

    /** Prepared branches of this bank waiting for a decision. */
    abstract int inDoubt(Connection c, String bank) throws SQLException;

    /** Makes an empty database for {@code bank} (H2 creates its file on first connect). */
    void createDatabase(Path dir, String bank) throws SQLException {
    }

    HikariDataSource pool(String url, String poolName, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user());
        config.setMaximumPoolSize(size);
        config.setPoolName(poolName);
        return new HikariDataSource(config);
    }

    static List<Backend> allH2(int databases) {
        return Collections.nCopies(databases, H2);
    }

    /** A server database name unique to the test directory and bank: [a-z0-9_] only. */
    static String databaseName(Path dir, String bank) {
        return "qtx_crash_" + Integer.toHexString(dir.toAbsolutePath().toString().hashCode())
                + "_" + bank.replace('-', '_');
    }

    /** Skips the test when the server is absent, or fails it when QUORUMTX_REQUIRE_DATABASES=1. */
    void assumeAvailable() {
        if (this == POSTGRESQL) {
            ExternalDatabases.postgresql(); // also needs max_prepared_transactions above 0
        } else if (this == MARIADB) {
            ExternalDatabases.mariadb();
        }
    }

    private static int count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
