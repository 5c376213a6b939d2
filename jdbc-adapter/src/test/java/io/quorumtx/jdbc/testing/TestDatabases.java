package io.quorumtx.jdbc.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The external databases the team brief names. A test that needs one calls {@link #postgresql()}
 * or {@link #mariadb()} first: when the server is absent the test is skipped with a message
 * saying which server was missing, unless {@code QUORUMTX_REQUIRE_DATABASES=1}, in which case it fails.
 */
public final class TestDatabases {

    public static final String DATABASE = "quorumtx";

    /** How to reach one server; {@link #open()} connects to the {@code quorumtx} database. */
    public record Server(String label, String url) {
        public Connection open() throws SQLException {
            return DriverManager.getConnection(url);
        }
    }

    private TestDatabases() {
    }

    public static Server postgresql() {
        String admin = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres&connectTimeout=3";
        return available("PostgreSQL at 127.0.0.1:5432 (user postgres)", admin,
                "SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'", "CREATE DATABASE " + DATABASE,
                "jdbc:postgresql://127.0.0.1:5432/" + DATABASE + "?user=postgres&connectTimeout=3");
    }

    public static Server mariadb() {
        String admin = "jdbc:mariadb://127.0.0.1:3306/?user=root&connectTimeout=3000";
        return available("MariaDB at 127.0.0.1:3306 (user root)", admin, null,
                "CREATE DATABASE IF NOT EXISTS " + DATABASE,
                "jdbc:mariadb://127.0.0.1:3306/" + DATABASE + "?user=root&connectTimeout=3000");
    }

    /** PostgreSQL's max_prepared_transactions, which must be above 0 for two-phase commit. */
    public static int maxPreparedTransactions(Server postgresql) throws SQLException {
        try (Connection c = postgresql.open(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW max_prepared_transactions")) {
            rs.next();
            return Integer.parseInt(rs.getString(1));
        }
    }

    /** Skips (or, when databases are required, fails) a test that needs prepared transactions on PostgreSQL. */
    public static void requirePreparedTransactions(Server postgresql) throws SQLException {
        if (maxPreparedTransactions(postgresql) == 0) {
            unavailable(postgresql.label() + " has max_prepared_transactions = 0, so it cannot prepare branches;"
                    + " run ALTER SYSTEM SET max_prepared_transactions = 128 and restart PostgreSQL (.ci/run does)");
        }
    }

    public static boolean required() {
        return "1".equals(System.getenv("QUORUMTX_REQUIRE_DATABASES"));
    }

    private static Server available(String label, String adminUrl, String existsQuery, String create, String url) {
        try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
            boolean exists = false;
            if (existsQuery != null) {
                try (ResultSet rs = s.executeQuery(existsQuery)) {
                    exists = rs.next();
                }
            }
            if (!exists) {
                s.execute(create);
            }
        } catch (SQLException e) {
            unavailable(label + " is not reachable (" + e.getMessage() + ")");
        }
        return new Server(label, url);
    }

    private static void unavailable(String why) {
        if (required()) {
            fail(why + "; QUORUMTX_REQUIRE_DATABASES=1 requires it");
        }
        assumeTrue(false, why + "; skipping (set QUORUMTX_REQUIRE_DATABASES=1 to fail instead)");
    }
}
