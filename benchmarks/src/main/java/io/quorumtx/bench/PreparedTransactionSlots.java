package io.quorumtx.bench;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PostgreSQL's {@code max_prepared_transactions} as the benchmark needs it, and the exact fix
 * when it is too low. PostgreSQL ships with 0, which disables {@code PREPARE TRANSACTION}: every
 * system here prepares branches, so the whole {@code postgres} workload is skipped then. Each
 * thread can hold a prepared branch in each of the two databases at once, so a thread count is
 * run only if twice it fits.
 *
 * <p>The setting takes effect only at a server restart. The fix names the restart command of a
 * Debian-style cluster ({@code pg_ctlcluster}, as on this project's machines), taken from the
 * server's own {@code cluster_name} ({@code "15/main"}) or, without one, from its major version
 * and the cluster {@code main}. {@code --skip-systemctl-redirect} makes it work where systemd is
 * not running (containers). The benchmark never changes the setting or restarts the server
 * itself: the server is usually shared.
 *
 * <p>{@code -Dbench.simulate.maxPreparedTransactions=N} replaces the value read from the server
 * (the output says so), to see the skip and its message without touching a shared server.
 */
record PreparedTransactionSlots(int maxPrepared, String restartCommand, boolean simulated) {
    static final String SIMULATE_PROPERTY = "bench.simulate.maxPreparedTransactions";
    /** What the fix sets, unless more threads need more: the value {@code .ci/run} sets. */
    static final int RECOMMENDED = 128;

    private static final Pattern DEBIAN_CLUSTER = Pattern.compile("(\\d+(?:\\.\\d+)?)/([A-Za-z0-9_.-]+)");

    /** Reads the setting (or its simulation, {@code simulateProperty} neither null nor blank) from a PostgreSQL session. */
    static PreparedTransactionSlots read(Statement s, String simulateProperty) throws SQLException {
        String restart = restartCommand(stringOf(s, "SHOW cluster_name"),
                Integer.parseInt(stringOf(s, "SHOW server_version_num").trim()));
        if (simulateProperty != null && !simulateProperty.isBlank()) {
            int simulated;
            try {
                simulated = Integer.parseInt(simulateProperty.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(SIMULATE_PROPERTY + " must be a whole number, was '"
                        + simulateProperty + "'", e);
            }
            return new PreparedTransactionSlots(simulated, restart, true);
        }
        return new PreparedTransactionSlots(Integer.parseInt(stringOf(s, "SHOW max_prepared_transactions").trim()),
                restart, false);
    }

    /**
     * The command that restarts this server: {@code cluster_name} "15/main" gives
     * {@code pg_ctlcluster --skip-systemctl-redirect 15 main restart}; an empty or other name
     * falls back to the major version of {@code server_version_num} (150020 → 15; 90624 → 9.6)
     * and the cluster {@code main}.
     */
    static String restartCommand(String clusterName, int serverVersionNum) {
        Matcher m = DEBIAN_CLUSTER.matcher(clusterName == null ? "" : clusterName.trim());
        if (m.matches()) {
            return "pg_ctlcluster --skip-systemctl-redirect " + m.group(1) + " " + m.group(2) + " restart";
        }
        String major = serverVersionNum >= 100_000 ? String.valueOf(serverVersionNum / 10_000)
                : serverVersionNum / 10_000 + "." + serverVersionNum / 100 % 100;
        return "pg_ctlcluster --skip-systemctl-redirect " + major + " main restart";
    }

    /** Threads the setting allows: one prepared branch per thread in each of the two databases. */
    int maxThreads() {
        return maxPrepared / 2;
    }

    /** Why no thread count can run on this server, or empty when at least one can. */
    Optional<String> workloadProblem(int wantedThreads) {
        if (maxThreads() >= 1) {
            return Optional.empty();
        }
        return Optional.of("max_prepared_transactions = " + maxPrepared + describeSimulation()
                + ", which disables two-phase commit (PREPARE TRANSACTION), and every system here prepares"
                + " branches. " + fix(wantedThreads));
    }

    /** Why thread counts above {@link #maxThreads()} are skipped. */
    String threadLimit(int wantedThreads) {
        return "needs two prepared-transaction slots per thread, max_prepared_transactions = " + maxPrepared
                + describeSimulation() + ". " + fix(wantedThreads);
    }

    /** The exact statements to run; the value covers {@code wantedThreads} and is at least {@link #RECOMMENDED}. */
    String fix(int wantedThreads) {
        int value = Math.max(RECOMMENDED, 2 * wantedThreads);
        return String.format(Locale.ROOT, "Fix (the restart interrupts everyone using the server):"
                + " psql -h 127.0.0.1 -U postgres -c 'ALTER SYSTEM SET max_prepared_transactions = %d'"
                + " && %s", value, restartCommand);
    }

    private String describeSimulation() {
        return simulated ? " (simulated by -D" + SIMULATE_PROPERTY + "; the server's own value is not used)" : "";
    }

    private static String stringOf(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            String value = rs.getString(1);
            return value == null ? "" : value;
        }
    }
}
