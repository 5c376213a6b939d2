package io.quorumtx.recovery.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * PostgreSQL (127.0.0.1:5432, user postgres, trust) and MariaDB (127.0.0.1:3306, root, no
 * password), database {@code quorumtx}: a test that needs one is skipped with a message naming the
 * missing server, or fails when {@code QUORUMTX_REQUIRE_DATABASES=1}.
 */
public final class ExternalDatabases {
    public record Server(String label, String url, String user, String dialect, String xaDataSource) {
        public Connection open() throws SQLException {
            return DriverManager.getConnection(url, user, "");
        }
    }

    private ExternalDatabases() {
    }

    public static Server postgresql() {
        Server server = available(new Server("PostgreSQL at 127.0.0.1:5432 (user postgres)",
                "jdbc:postgresql://127.0.0.1:5432/quorumtx?connectTimeout=3", "postgres", "postgresql",
                "org.postgresql.xa.PGXADataSource"), "jdbc:postgresql://127.0.0.1:5432/postgres?connectTimeout=3",
                "SELECT 1 FROM pg_database WHERE datname = 'quorumtx'", "CREATE DATABASE quorumtx");
        try (Connection c = server.open(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW max_prepared_transactions")) {
            rs.next();
            if (Integer.parseInt(rs.getString(1)) == 0) {
                unavailable(server.label() + " has max_prepared_transactions = 0; run ALTER SYSTEM SET"
                        + " max_prepared_transactions = 128 and restart PostgreSQL (.ci/run does)");
            }
        } catch (SQLException e) {
            unavailable(server.label() + ": " + e.getMessage());
        }
        return server;
    }

    public static Server mariadb() {
        return available(new Server("MariaDB at 127.0.0.1:3306 (user root)",
                "jdbc:mariadb://127.0.0.1:3306/quorumtx?connectTimeout=3000", "root", "mariadb",
                "org.mariadb.jdbc.MariaDbDataSource"), "jdbc:mariadb://127.0.0.1:3306/?connectTimeout=3000",
                null, "CREATE DATABASE IF NOT EXISTS quorumtx");
    }

    private static Server available(Server server, String adminUrl, String exists, String create) {
        try (Connection c = DriverManager.getConnection(adminUrl, server.user(), ""); Statement s = c.createStatement()) {
            boolean present = false;
            if (exists != null) {
                try (ResultSet rs = s.executeQuery(exists)) {
                    present = rs.next();
                }
            }
            if (!present) {
                s.execute(create);
            }
        } catch (SQLException e) {
            unavailable(server.label() + " is not reachable (" + e.getMessage() + ")");
        }
        return server;
    }

    private static void unavailable(String why) {
        if ("1".equals(System.getenv("QUORUMTX_REQUIRE_DATABASES"))) {
            fail(why + " (QUORUMTX_REQUIRE_DATABASES=1)");
        }
        assumeTrue(false, why + "; start it to run this test, or set QUORUMTX_REQUIRE_DATABASES=1 to make its absence fail");
    }
}
