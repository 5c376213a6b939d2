package io.quorumtx.jdbc.internal;

import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.tm.QuorumTransactionManager;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Arrays;
import org.h2.jdbcx.JdbcDataSource;

/**
 * What the SQL guard costs (not a test; a careful main, as the module has no JMH): the classifier
 * alone per call and its allocation, and {@code executeUpdate} on an enlisted H2 in-memory handle
 * through the guard against the same call on the driver's own statement (unwrapped, no guard).
 * Each figure is the median of several rounds after warm-up. Run:
 * <pre>
 * mvn -B -o -q -pl jdbc-adapter -am test-compile
 * mvn -B -o -q -pl jdbc-adapter dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java -cp jdbc-adapter/target/test-classes:jdbc-adapter/target/classes:$(cat /tmp/cp.txt) io.quorumtx.jdbc.internal.SqlGuardCost
 * </pre>
 */
public final class SqlGuardCost {

    private static final String[] TYPICAL = {
        "UPDATE account SET balance = balance + ? WHERE id = ?",
        "SELECT balance FROM account WHERE id = 1",
        "INSERT INTO transfer (id, from_account, to_account, amount, created_at) VALUES (?, ?, ?, ?, ?)",
        "/* service=bank */ UPDATE account SET balance = balance - 30 WHERE id = 17",
        "UPDATE account SET balance = balance - 1 WHERE id = 1; UPDATE account SET balance = balance + 1 WHERE id = 2",
    };

    @SuppressWarnings("UnusedVariable") // a write-only sink that keeps the JIT from eliding the measured work
    private static long sink;

    private SqlGuardCost() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.getInteger("rounds", 7);
        classifierAlone(rounds);
        enlistedExecuteUpdate(rounds);
    }

    private static void classifierAlone(int rounds) {
        int calls = 2_000_000;
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (TransactionControlSql rules : TransactionControlSql.values()) {
            for (String sql : TYPICAL) {
                double[] ns = new double[rounds];
                for (int w = 0; w < 3; w++) {
                    classify(rules, sql, calls);
                }
                long allocated = 0;
                for (int r = 0; r < rounds; r++) {
                    long bytes = threads.getCurrentThreadAllocatedBytes();
                    long t0 = System.nanoTime();
                    classify(rules, sql, calls);
                    ns[r] = (System.nanoTime() - t0) / (double) calls;
                    allocated += threads.getCurrentThreadAllocatedBytes() - bytes;
                }
                System.out.printf("classifier %-10s %6.1f ns/call  %5.2f bytes/call  %s%n", rules, median(ns),
                        allocated / (double) rounds / calls, sql);
            }
        }
    }

    private static void classify(TransactionControlSql rules, String sql, int calls) {
        long s = 0;
        for (int i = 0; i < calls; i++) {
            s += rules.refusedAt(sql);
        }
        sink += s;
    }

    private static void enlistedExecuteUpdate(int rounds) throws Exception {
        Path log = Files.createTempDirectory("sqlguard-cost");
        JdbcDataSource xa = new JdbcDataSource();
        xa.setURL("jdbc:h2:mem:sqlguard-cost;DB_CLOSE_DELAY=-1");
        xa.setUser("sa");
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(log).build();
             TransactionalDataSource ds = TransactionalDataSource.builder(tm).name("bench").xaDataSource(xa)
                     .maximumPoolSize(2).build()) {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE account (id INT PRIMARY KEY, balance BIGINT NOT NULL)");
                s.execute("INSERT INTO account VALUES (1, 0)");
            }
            String sql = "UPDATE account SET balance = balance + 1 WHERE id = 1";
            for (boolean prepared : new boolean[] {false, true}) {
                double[] guarded = new double[rounds];
                double[] unguarded = new double[rounds];
                alternate(tm, ds, sql, prepared, 20, new long[2]); // warm-up
                for (int r = 0; r < rounds; r++) {
                    long[] spent = new long[2];
                    int calls = alternate(tm, ds, sql, prepared, 40, spent);
                    guarded[r] = spent[0] / (double) calls;
                    unguarded[r] = spent[1] / (double) calls;
                }
                System.out.printf("enlisted H2 mem %-9s executeUpdate: with guard %6.0f ns/call, without %6.0f ns/call,"
                        + " difference %5.0f ns (medians of %d rounds; per round with %s, without %s)%n",
                        prepared ? "prepared" : "statement", median(guarded), median(unguarded),
                        median(guarded) - median(unguarded), rounds, fmt(guarded), fmt(unguarded));
            }
        }
    }

    /**
     * Blocks of 100 calls through the handle (guarded) and through the driver's own statement or
     * connection (unguarded), alternating inside each transaction so that load from other
     * processes falls on both alike; adds ns to spent[0] and spent[1]; returns the calls per path.
     * Time spent in commit is not counted.
     */
    private static int alternate(QuorumTransactionManager tm, TransactionalDataSource ds, String sql, boolean prepared,
            int transactions, long[] spent) throws Exception {
        int block = 100;
        int blocks = 20;
        for (int t = 0; t < transactions; t++) {
            tm.begin();
            try (Connection handle = ds.getConnection(); Statement guarded = handle.createStatement()) {
                Connection physical = handle.unwrap(org.h2.jdbc.JdbcConnection.class);
                Statement unguarded = guarded.unwrap(org.h2.jdbc.JdbcStatement.class);
                for (int b = 0; b < blocks; b++) {
                    for (int path = 0; path < 2; path++) {
                        long t0 = System.nanoTime();
                        for (int i = 0; i < block; i++) {
                            if (prepared) {
                                try (PreparedStatement ps = (path == 0 ? handle : physical).prepareStatement(sql)) {
                                    sink += ps.executeUpdate();
                                }
                            } else {
                                sink += (path == 0 ? guarded : unguarded).executeUpdate(sql);
                            }
                        }
                        spent[path] += System.nanoTime() - t0;
                    }
                }
            }
            tm.commit();
        }
        return transactions * blocks * block;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static String fmt(double[] values) {
        StringBuilder b = new StringBuilder();
        for (double v : values) {
            b.append(b.length() == 0 ? "" : "/").append(Math.round(v));
        }
        return b.toString();
    }
}
