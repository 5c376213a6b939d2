package io.quorumtx.testsupport;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The real database servers the tests of every module run on: PostgreSQL at 127.0.0.1:5432 (user
 * {@code postgres}, trust) and MariaDB at 127.0.0.1:3306 ({@code root}, empty password), each with
 * the databases {@value #DATABASE}, {@value #DATABASE_A} and {@value #DATABASE_B} and a dedicated
 * user {@value #APP_USER} with a password (so the password path is exercised). {@code .ci/run}
 * creates all of them; {@link Server#require()} creates whatever is missing too, so a developer
 * needs only a running server.
 *
 * <p>A test that needs a server calls {@link #postgresql()} or {@link #mariadb()} first (or
 * {@link Server#require()} when it must also run against a PostgreSQL with prepared transactions
 * disabled). When the server is absent (or PostgreSQL has prepared transactions disabled) the test
 * is skipped with a message that says how to enable it, unless {@code QUORUMTX_REQUIRE_DATABASES=1},
 * in which case it fails: CI must never pass because a server was quietly missing. This is the one
 * place that decides between skipping and failing.
 *
 * <p>The password comes from {@code QUORUMTX_TEST_DB_PASSWORD} (default: a fixed test-only value
 * that {@code .ci/run} uses too) and never appears in a message.
 */
public final class ExternalDatabases {
    /** The database most tests use, as the superuser: {@link Server#url()}, {@link Server#open()}. */
    public static final String DATABASE = "quorumtx";
    public static final String DATABASE_A = "quorumtx_a";
    public static final String DATABASE_B = "quorumtx_b";
    public static final String APP_USER = "quorumtx_app";

    private static final String DEFAULT_TEST_PASSWORD = "qtx-Test-Only-5e1f";
    /** Letters, digits and a few punctuation marks: it goes into CREATE USER as a literal. */
    private static final Pattern SAFE_PASSWORD = Pattern.compile("[A-Za-z0-9_.@%+-]{8,64}");
    private static final String HOW_TO_ENABLE = "start the server, and for PostgreSQL set max_prepared_transactions"
            + " above 0 (ALTER SYSTEM SET max_prepared_transactions = 128, then restart); .ci/run does both";

    /** Where one server is and which account to use; the password is kept out of {@link #toString()}. */
    public record Account(String user, String password) {
        @Override
        public String toString() {
            return user + (password.isEmpty() ? "" : " (with password)");
        }
    }

    /** The two servers. */
    public enum Server {
        POSTGRESQL("PostgreSQL at 127.0.0.1:5432", new Account("postgres", ""), "jdbc:postgresql://127.0.0.1:5432/",
                "?connectTimeout=3", "postgresql", "org.postgresql.xa.PGXADataSource") {
            @Override
            void prepare(Connection admin) throws SQLException {
                for (String db : List.of(DATABASE, DATABASE_A, DATABASE_B)) {
                    if (!exists(admin, "SELECT 1 FROM pg_database WHERE datname = '" + db + "'")) {
                        tolerateRace(admin, "CREATE DATABASE " + db, "42P04"); // duplicate_database
                    }
                }
                // Only change what is missing: concurrent runs granting the same thing at once
                // can fail with "tuple concurrently updated".
                String password = appPassword();
                if (!exists(admin, "SELECT 1 FROM pg_roles WHERE rolname = '" + APP_USER + "'")) {
                    tolerateRace(admin, "CREATE ROLE " + APP_USER + " LOGIN PASSWORD '" + password + "'", "42710");
                } else if (!canLogIn(url("postgres"))) {
                    execute(admin, "ALTER ROLE " + APP_USER + " LOGIN PASSWORD '" + password + "'");
                }
                // PostgreSQL 15 no longer lets every user create tables in schema public.
                for (String db : List.of(DATABASE_A, DATABASE_B)) {
                    try (Connection c = connect(url(db), admin())) {
                        if (!exists(c, "SELECT 1 WHERE has_schema_privilege('" + APP_USER + "', 'public', 'CREATE')")) {
                            execute(c, "GRANT ALL ON SCHEMA public TO " + APP_USER);
                        }
                    }
                }
            }
        },
        MARIADB("MariaDB at 127.0.0.1:3306", new Account("root", ""), "jdbc:mariadb://127.0.0.1:3306/",
                "?connectTimeout=3000", "mariadb", "org.mariadb.jdbc.MariaDbDataSource") {
            @Override
            void prepare(Connection admin) throws SQLException {
                String password = appPassword();
                for (String db : List.of(DATABASE, DATABASE_A, DATABASE_B)) {
                    execute(admin, "CREATE DATABASE IF NOT EXISTS " + db);
                }
                if (canLogIn(url(DATABASE_A)) && canLogIn(url(DATABASE_B))) {
                    return; // the user, its password and its grants are in place
                }
                for (String host : List.of("127.0.0.1", "localhost")) {
                    String user = "'" + APP_USER + "'@'" + host + "'";
                    execute(admin, "CREATE USER IF NOT EXISTS " + user + " IDENTIFIED BY '" + password + "'");
                    execute(admin, "ALTER USER " + user + " IDENTIFIED BY '" + password + "'");
                    for (String db : List.of(DATABASE_A, DATABASE_B)) {
                        execute(admin, "GRANT ALL PRIVILEGES ON " + db + ".* TO " + user);
                    }
                }
            }
        };

        private final String label;
        @SuppressWarnings("ImmutableEnumChecker") // Account is a record of two strings: immutable
        private final Account admin;
        /** The URL up to the database name, and the options after it (a short connect timeout). */
        private final String urlPrefix;
        private final String urlOptions;
        private final String dialect;
        private final String xaDataSource;

        Server(String label, Account admin, String urlPrefix, String urlOptions, String dialect, String xaDataSource) {
            this.label = label;
            this.admin = admin;
            this.urlPrefix = urlPrefix;
            this.urlOptions = urlOptions;
            this.dialect = dialect;
            this.xaDataSource = xaDataSource;
        }

        public String label() {
            return label;
        }

        /** The superuser account, for setting up and for inspecting what tests leave behind. */
        public Account admin() {
            return admin;
        }

        /** The URL of one database, with a short connect timeout and no credentials in it. */
        public String url(String database) {
            return urlPrefix + database + urlOptions;
        }

        /** A connection to {@code database} as {@code account}, outside any transaction manager. */
        public Connection open(String database, Account account) throws SQLException {
            return connect(url(database), account);
        }

        /**
         * The URL of {@value #DATABASE} with the superuser in it (trust: no password), for code
         * that takes a URL alone.
         */
        public String url() {
            return url(DATABASE) + "&user=" + admin.user();
        }

        /** The superuser's name. */
        public String user() {
            return admin.user();
        }

        /** A connection to {@value #DATABASE} as the superuser, outside any transaction manager. */
        public Connection open() throws SQLException {
            return open(DATABASE, admin);
        }

        /** The dialect name the recovery tool's configuration takes. */
        public String dialect() {
            return dialect;
        }

        /** The driver's XADataSource class. */
        public String xaDataSource() {
            return xaDataSource;
        }

        abstract void prepare(Connection admin) throws SQLException;

        /**
         * Makes sure the server is reachable and has the databases and the application user;
         * skips the calling test (or fails it, when databases are required) otherwise. Does not
         * check that PostgreSQL can prepare branches: see {@link #requirePreparedTransactions()}.
         */
        public Server require() {
            String adminDatabase = this == POSTGRESQL ? "postgres" : "";
            try (Connection c = connect(url(adminDatabase), admin)) {
                prepare(c);
            } catch (SQLException e) {
                String message = String.valueOf(e.getMessage()).replace(appPassword(), "***");
                unavailable(label + " is not reachable or could not be set up (" + message + ")");
            }
            return this;
        }

        /** PostgreSQL's {@code max_prepared_transactions}, which must be above 0 for two-phase commit. */
        public int maxPreparedTransactions() throws SQLException {
            if (this != POSTGRESQL) {
                throw new UnsupportedOperationException(label + " has no max_prepared_transactions");
            }
            try (Connection c = open()) {
                return Integer.parseInt(queryString(c, "SHOW max_prepared_transactions"));
            }
        }

        /**
         * Skips (or, when databases are required, fails) the calling test unless the server can
         * prepare branches: PostgreSQL with {@code max_prepared_transactions} above 0; MariaDB always can.
         */
        public Server requirePreparedTransactions() {
            if (this == POSTGRESQL) {
                try {
                    if (maxPreparedTransactions() == 0) {
                        unavailable(label + " has max_prepared_transactions = 0, so it cannot prepare branches");
                    }
                } catch (SQLException e) {
                    unavailable(label + " is not reachable (" + e.getMessage() + ")");
                }
            }
            return this;
        }
    }

    private ExternalDatabases() {
    }

    /** PostgreSQL, ready for two-phase commit (see {@link Server#require()} and {@link Server#requirePreparedTransactions()}). */
    public static Server postgresql() {
        return Server.POSTGRESQL.require().requirePreparedTransactions();
    }

    /** MariaDB, ready for two-phase commit (see {@link Server#require()}). */
    public static Server mariadb() {
        return Server.MARIADB.require();
    }

    /** The dedicated application user, with its password. */
    public static Account appUser() {
        return new Account(APP_USER, appPassword());
    }

    /** Whether {@code QUORUMTX_REQUIRE_DATABASES=1}: a missing server fails a test instead of skipping it. */
    public static boolean required() {
        return "1".equals(System.getenv("QUORUMTX_REQUIRE_DATABASES"));
    }

    private static String appPassword() {
        String fromEnv = System.getenv("QUORUMTX_TEST_DB_PASSWORD");
        String password = fromEnv == null || fromEnv.isEmpty() ? DEFAULT_TEST_PASSWORD : fromEnv;
        if (!SAFE_PASSWORD.matcher(password).matches()) {
            fail("QUORUMTX_TEST_DB_PASSWORD must be 8 to 64 characters of [A-Za-z0-9_.@%+-]"
                    + " (it is written into CREATE USER); the value is not shown");
        }
        return password;
    }

    private static Connection connect(String url, Account account) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", account.user());
        p.setProperty("password", account.password());
        return DriverManager.getConnection(url, p);
    }

    /** Whether the application user gets in with its password (MariaDB also checks its grant on the database). */
    private static boolean canLogIn(String url) {
        try (Connection c = connect(url, appUser())) {
            return c.isValid(5);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Skips the calling test because of {@code why}, or fails it when databases are required. */
    public static void unavailable(String why) {
        if (required()) {
            fail(why + "; QUORUMTX_REQUIRE_DATABASES=1 requires it (" + HOW_TO_ENABLE + ")");
        }
        assumeTrue(false, why + "; skipping. To run these tests: " + HOW_TO_ENABLE
                + "; set QUORUMTX_REQUIRE_DATABASES=1 to fail instead of skipping");
    }

    private static boolean exists(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next();
        }
    }

    private static String queryString(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** Another JVM may create the same object between our check and our CREATE: that is success. */
    private static void tolerateRace(Connection c, String sql, String duplicateState) throws SQLException {
        try {
            execute(c, sql);
        } catch (SQLException e) {
            if (!duplicateState.equals(e.getSQLState())) {
                throw e;
            }
        }
    }
}
