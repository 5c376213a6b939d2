package io.quorumtx.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Before a server workload runs: is the server there, and how many threads can it take? The
 * benchmark is not a test, so an absent server skips its workload with a printed line instead
 * of failing the run.
 *
 * <p>Every thread holds one connection to each of the two databases (pools are sized to the
 * thread count), and on PostgreSQL each can hold a prepared transaction in each, so a thread
 * count is run only if twice it fits in the free connections (less a margin for the checks and
 * for others) and, on PostgreSQL, in {@code max_prepared_transactions}.
 */
final class ServerProbe {
    private static final int CONNECTION_MARGIN = 10;

    private ServerProbe() {
    }

    /** {@code problem} is null when the server is usable; then {@code maxThreads} is its limit. */
    record Probe(String problem, int maxThreads) {
    }

    @SuppressWarnings("try") // connection b is opened only to be a second session during the probe
    static Probe probe(Workload workload) {
        try (Connection a = open(workload, "a"); Connection b = open(workload, "b"); Statement s = a.createStatement()) {
            if (workload == Workload.POSTGRES) {
                int prepared = intOf(s, "SHOW max_prepared_transactions");
                if (prepared == 0) {
                    return new Probe("max_prepared_transactions = 0, so it cannot prepare branches"
                            + " (ALTER SYSTEM SET max_prepared_transactions = 128, then restart; .ci/run does it)", 0);
                }
                int free = intOf(s, "SHOW max_connections") - intOf(s, "SELECT count(*) FROM pg_stat_activity");
                return new Probe(null, Math.min(prepared / 2, (free - CONNECTION_MARGIN) / 2));
            }
            int free = intOf(s, "SELECT @@max_connections")
                    - intOf(s, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                    + " WHERE VARIABLE_NAME = 'THREADS_CONNECTED'");
            return new Probe(null, (free - CONNECTION_MARGIN) / 2);
        } catch (SQLException e) {
            return new Probe("cannot connect (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ");"
                    + " start it with databases quorumtx_a and quorumtx_b (.ci/run does both)", 0);
        }
    }

    private static Connection open(Workload workload, String db) throws SQLException {
        return java.sql.DriverManager.getConnection(workload.url(null, "probe", db), workload.user(), "");
    }

    private static int intOf(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return Integer.parseInt(rs.getString(1).trim());
        }
    }
}
