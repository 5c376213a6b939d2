package io.quorumtx.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Before a server workload runs: create its databases if missing ({@link ServerSetup}), then ask
 * the server how many threads it can take. The benchmark is not a test, so a server that cannot
 * run a workload skips it, and the reason goes into the run's summary ({@link Skips}).
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

    /**
     * {@code problem} is non-null when the workload cannot run at all; otherwise {@code maxThreads}
     * is the server's limit and {@code limit} says which setting sets it and how to raise it.
     */
    record Probe(String problem, int maxThreads, String limit) {
        static Probe cannotRun(String problem) {
            return new Probe(problem, 0, problem);
        }
    }

    /** {@code wantedThreads}: the highest thread count asked for, so a fix can name a value that covers it. */
    @SuppressWarnings("try") // connection b is opened only to be a second session during the probe
    static Probe probe(Workload workload, ServerSetup setup, int wantedThreads) {
        String problem = setup.ensureDatabases(workload).orElse(null);
        if (problem != null) {
            return Probe.cannotRun(workload.serverLabel() + ": " + problem);
        }
        DatabaseNames names = setup.databases();
        try (Connection a = open(workload, names, "a"); Connection b = open(workload, names, "b");
             Statement s = a.createStatement()) {
            if (workload == Workload.POSTGRES) {
                PreparedTransactionSlots slots = PreparedTransactionSlots.read(s,
                        System.getProperty(PreparedTransactionSlots.SIMULATE_PROPERTY));
                if (slots.workloadProblem(wantedThreads).isPresent()) {
                    return Probe.cannotRun(workload.serverLabel() + " has " + slots.workloadProblem(wantedThreads).get());
                }
                int max = intOf(s, "SHOW max_connections");
                int byConnections = (max - intOf(s, "SELECT count(*) FROM pg_stat_activity") - CONNECTION_MARGIN) / 2;
                return slots.maxThreads() < byConnections
                        ? new Probe(null, slots.maxThreads(), slots.threadLimit(wantedThreads))
                        : new Probe(null, byConnections, connectionLimit(workload, max, "max_connections"));
            }
            int max = intOf(s, "SELECT @@max_connections");
            int free = max - intOf(s, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                    + " WHERE VARIABLE_NAME = 'THREADS_CONNECTED'");
            return new Probe(null, (free - CONNECTION_MARGIN) / 2, connectionLimit(workload, max, "max_connections"));
        } catch (SQLException e) {
            return Probe.cannotRun(workload.serverLabel() + ": cannot use databases " + names + " ("
                    + ServerSetup.firstLine(e) + ")");
        }
    }

    private static String connectionLimit(Workload workload, int max, String setting) {
        return "needs two connections per thread, and " + workload.serverLabel() + " has " + setting + " = " + max
                + " (less those in use and a margin of " + CONNECTION_MARGIN + "); a higher " + setting
                + " (and a restart) would allow more";
    }

    private static Connection open(Workload workload, DatabaseNames names, String db) throws SQLException {
        return DriverManager.getConnection(workload.url(null, names, "probe", db), workload.user(), "");
    }

    private static int intOf(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return Integer.parseInt(rs.getString(1).trim());
        }
    }
}
