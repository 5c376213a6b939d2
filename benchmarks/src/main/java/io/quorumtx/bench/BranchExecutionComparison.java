package io.quorumtx.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.tm.BranchExecution;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A diagnostic, not part of the default run: the same two-database transfer committed by a
 * {@link BranchExecution#SERIAL} and a {@link BranchExecution#PARALLEL} manager, <b>alternating
 * transaction by transaction</b> on every client thread, so load from elsewhere on a shared
 * machine falls on both alike (runs of the whole benchmark one mode after the other differ by
 * more than the effect on a busy machine). Both managers use the local log and the dialect style
 * over HikariCP; each side gets its own table in {@code quorumtx_a} and {@code quorumtx_b},
 * dropped at the end.
 *
 * <pre>java -cp ... io.quorumtx.bench.BranchExecutionComparison postgres|mariadb threads seconds logDir</pre>
 *
 * Prints, per mode, p50 and p99 latency of a whole transaction (begin to commit returned) and the
 * throughput the closed loop implies (threads / mean latency).
 */
public final class BranchExecutionComparison {
    private static final int ACCOUNTS = 1000;

    private BranchExecutionComparison() {
    }

    /** One mode's manager and data sources. */
    private record Side(BranchExecution mode, QuorumTransactionManager tm, TransactionalDataSource a,
                        TransactionalDataSource b, List<HikariDataSource> pools, String table) {
    }

    public static void main(String[] args) throws Exception {
        Workload workload = Workload.byName(args[0]);
        int threads = Integer.parseInt(args[1]);
        double seconds = Double.parseDouble(args[2]);
        Path logRoot = Files.createDirectories(Path.of(args[3]));
        List<Side> sides = new ArrayList<>();
        try {
            for (BranchExecution mode : List.of(BranchExecution.SERIAL, BranchExecution.PARALLEL)) {
                sides.add(open(workload, mode, threads, logRoot));
            }
            run(sides, threads, seconds / 4); // warm-up
            long[][] nanos = run(sides, threads, seconds);
            System.out.printf(Locale.ROOT, "%s, %d thread(s), %.0f s alternating:%n", workload.label(), threads, seconds);
            for (int i = 0; i < sides.size(); i++) {
                long[] l = nanos[i];
                Arrays.sort(l);
                double mean = Arrays.stream(l).average().orElse(Double.NaN) / 1e6;
                System.out.printf(Locale.ROOT, "  %-8s n=%6d  p50 %7.2f ms  p99 %7.2f ms  tps %7.0f%n",
                        sides.get(i).mode(), l.length, l[l.length / 2] / 1e6, l[(int) (l.length * 0.99)] / 1e6,
                        threads / mean * 1000);
            }
        } finally {
            for (Side s : sides) {
                close(s, workload);
            }
        }
    }

    /** The two databases, as the bank benchmark names them ({@code -Dbench.databases}). */
    private static final DatabaseNames DATABASES = DatabaseNames.parse(System.getProperty("bench.databases", ""));

    private static Side open(Workload workload, BranchExecution mode, int threads, Path logRoot) throws SQLException {
        String table = "bench_par_" + UUID.randomUUID().toString().substring(0, 8);
        QuorumTransactionManager tm = QuorumTransactionManager.builder()
                .nodeId("bcmp-" + mode.name().toLowerCase(Locale.ROOT))
                .logDirectory(logRoot.resolve(mode.name() + "-" + table))
                .branchExecution(mode).build();
        List<HikariDataSource> pools = new ArrayList<>();
        TransactionalDataSource[] ds = new TransactionalDataSource[2];
        String[] dbs = {"a", "b"};
        for (int i = 0; i < 2; i++) {
            String url = workload.url(logRoot, DATABASES, "cmp", dbs[i]);
            try (Connection c = java.sql.DriverManager.getConnection(url, workload.user(), "");
                 Statement s = c.createStatement()) {
                s.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY, balance BIGINT NOT NULL)");
                StringBuilder insert = new StringBuilder("INSERT INTO " + table + " VALUES ");
                for (int id = 1; id <= ACCOUNTS; id++) {
                    insert.append(id == 1 ? "" : ",").append('(').append(id).append(",1000000)");
                }
                s.executeUpdate(insert.toString());
            }
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(url);
            config.setUsername(workload.user());
            config.setMaximumPoolSize(threads + 1);
            HikariDataSource pool = new HikariDataSource(config);
            pools.add(pool);
            ds[i] = TransactionalDataSource.builder(tm).name("cmp-" + dbs[i]).dataSource(pool)
                    .dialect(workload == Workload.POSTGRES ? io.quorumtx.jdbc.dialect.Dialect.postgresql()
                            : io.quorumtx.jdbc.dialect.Dialect.mysql()).build();
        }
        return new Side(mode, tm, ds[0], ds[1], pools, table);
    }

    /** Each thread commits one transfer with each side in turn until the time is up; latencies per side. */
    private static long[][] run(List<Side> sides, int threads, double seconds) throws Exception {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<long[]>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    List<long[]> mine = new ArrayList<>();
                    for (int i = 0; i < sides.size(); i++) {
                        mine.add(new long[1 << 16]);
                    }
                    int[] counts = new int[sides.size()];
                    for (int turn = 0; System.nanoTime() < end; turn++) {
                        int i = turn % sides.size();
                        long start = System.nanoTime();
                        transfer(sides.get(i));
                        if (counts[i] < mine.get(i).length) {
                            mine.get(i)[counts[i]++] = System.nanoTime() - start;
                        }
                    }
                    for (int i = 0; i < sides.size(); i++) {
                        mine.set(i, Arrays.copyOf(mine.get(i), counts[i]));
                    }
                    return mine;
                }));
            }
            long[][] all = new long[sides.size()][0];
            for (Future<List<long[]>> f : futures) {
                List<long[]> mine = f.get();
                for (int i = 0; i < sides.size(); i++) {
                    long[] merged = Arrays.copyOf(all[i], all[i].length + mine.get(i).length);
                    System.arraycopy(mine.get(i), 0, merged, all[i].length, mine.get(i).length);
                    all[i] = merged;
                }
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }

    private static void transfer(Side side) throws Exception {
        int from = ThreadLocalRandom.current().nextInt(1, ACCOUNTS + 1);
        int to = ThreadLocalRandom.current().nextInt(1, ACCOUNTS + 1);
        side.tm().begin();
        try (Connection a = side.a().getConnection(); Connection b = side.b().getConnection();
             PreparedStatement debit = a.prepareStatement("UPDATE " + side.table() + " SET balance = balance - 1 WHERE id = ?");
             PreparedStatement credit = b.prepareStatement("UPDATE " + side.table() + " SET balance = balance + 1 WHERE id = ?")) {
            debit.setInt(1, from);
            debit.executeUpdate();
            credit.setInt(1, to);
            credit.executeUpdate();
        } catch (SQLException | RuntimeException e) {
            side.tm().rollback();
            throw e;
        }
        side.tm().commit();
    }

    private static void close(Side side, Workload workload) {
        side.a().close();
        side.b().close();
        side.pools().forEach(HikariDataSource::close);
        side.tm().close();
        for (String db : List.of("a", "b")) {
            try (Connection c = java.sql.DriverManager.getConnection(workload.url(Path.of("."), DATABASES, "cmp", db), workload.user(), "");
                 Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + side.table());
            } catch (SQLException e) {
                System.err.println("could not drop " + side.table() + " in " + db + ": " + e.getMessage());
            }
        }
    }
}
