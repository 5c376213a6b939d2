package io.quorumtx.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;

import org.HdrHistogram.Recorder;
import org.springframework.integration.jdbc.lock.DefaultLockRepository;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.lock.DatabaseLockService;
import io.quorumtx.lock.LockHandle;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.provider.jdbc.JdbcLockProvider;

/**
 * Lock figures for {@code locks.csv} ({@code system,db,threads,ops_per_s,p99_ms}): QuorumTX's
 * {@link DatabaseLockService}, ShedLock's plain-JDBC provider and Spring Integration's
 * {@link JdbcLockRegistry}, side by side on H2 (a file), PostgreSQL and MariaDB. One thread:
 * uncontended acquire + release of one lock, back to back. Sixteen threads: all on the same lock;
 * an operation is one successful acquire + release, and a thread that does not get the lock
 * waits as the library waits (QuorumTX: back-off 10 ms doubling to 1 s, woken by NOTIFY on
 * PostgreSQL; ShedLock cannot wait, so it retries with the same back-off as QuorumTX's; Spring:
 * its own wait, 10 ms between tries here instead of its 100 ms default). Each library gets
 * its own table, created fresh, with its documented schema.
 */
final class LockBenchmark {
    private static final List<String> SYSTEMS = List.of("quorumtx", "shedlock", "spring-integration");

    private LockBenchmark() {
    }

    interface LockSystem extends AutoCloseable {
        /** Acquire (waiting as the library waits) and release {@code name} once. */
        void lockUnlock(String name) throws Exception;

        @Override
        void close();
    }

    record Row(String system, String db, int threads, double opsPerSecond, double p99Millis) {
    }

    /** On the servers: in the first of {@code servers}' databases, created if missing; what is skipped goes into {@code skips}. */
    static void run(Path out, Duration warmUp, Duration measure, ServerSetup servers, Skips skips) throws Exception {
        List<Row> rows = new ArrayList<>();
        for (Workload db : List.of(Workload.H2_FILE, Workload.POSTGRES, Workload.MARIADB)) {
            String problem = db.isServer() ? servers.ensureDatabases(db).map(p -> db.serverLabel() + ": " + p)
                    .orElse(null) : null;
            if (problem != null) {
                skips.skipped("locks", db.label(), "all lock systems", problem);
                continue;
            }
            HikariDataSource pool;
            try {
                pool = connectedPool(db, out, servers.databases());
            } catch (RuntimeException | SQLException e) {
                skips.skipped("locks", db.label(), "all lock systems", "cannot connect: " + e.getMessage());
                continue;
            }
            try (pool) {
                for (String system : SYSTEMS) {
                    for (int threads : List.of(1, 16)) {
                        try (LockSystem s = create(system, db, pool)) {
                            cell(s, threads, warmUp); // warm-up, not recorded
                            Row r = cell(s, threads, measure);
                            rows.add(new Row(system, db.label(), threads, r.opsPerSecond(), r.p99Millis()));
                            System.out.printf(Locale.ROOT, "  locks %-18s %-8s %2d threads: %8.0f ops/s  p99 %8.3f ms%n",
                                    system, db.label(), threads, r.opsPerSecond(), r.p99Millis());
                        }
                    }
                }
                dropTables(pool);
            }
        }
        StringBuilder csv = new StringBuilder("system,db,threads,ops_per_s,p99_ms\n");
        for (Row r : rows) {
            csv.append(String.format(Locale.ROOT, "%s,%s,%d,%.1f,%.3f%n", r.system(), r.db(), r.threads(),
                    r.opsPerSecond(), r.p99Millis()));
        }
        Files.writeString(out.resolve("locks.csv"), csv);
        System.out.println();
        System.out.println("| system | db | threads | ops/s | p99 ms |");
        System.out.println("|---|---|---:|---:|---:|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %.0f | %.3f |%n", r.system(), r.db(), r.threads(),
                    r.opsPerSecond(), r.p99Millis());
        }
        for (String db : List.of("postgres", "mariadb")) { // issue 16's target: >= 1.5x the best peer
            for (int threads : List.of(1, 16)) {
                double ours = find(rows, "quorumtx", db, threads);
                double best = Math.max(find(rows, "shedlock", db, threads),
                        find(rows, "spring-integration", db, threads));
                if (ours > 0 && best > 0) {
                    System.out.printf(Locale.ROOT, "target locks %s %2d threads: quorumtx / best peer = %.2f"
                            + " (wanted >= 1.5) %s%n", db, threads, ours / best, ours >= 1.5 * best ? "MET" : "MISSED");
                }
            }
        }
        System.out.println("Wrote " + out.resolve("locks.csv").toAbsolutePath());
    }

    private static double find(List<Row> rows, String system, String db, int threads) {
        return rows.stream().filter(r -> r.system().equals(system) && r.db().equals(db) && r.threads() == threads)
                .mapToDouble(Row::opsPerSecond).findFirst().orElse(0);
    }

    private static Row cell(LockSystem s, int threads, Duration window) throws Exception {
        Recorder latencies = new Recorder(3);
        AtomicLong ops = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                try {
                    start.await();
                    while (!stop.get()) {
                        long t0 = System.nanoTime();
                        s.lockUnlock("bench-lock");
                        latencies.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                        ops.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "lock-bench-" + t);
            workers.add(w);
            w.start();
        }
        long begin = System.nanoTime();
        start.countDown();
        Thread.sleep(window.toMillis()); // the measuring window itself, not a wait for a condition
        stop.set(true);
        long counted = ops.get();
        double seconds = (System.nanoTime() - begin) / 1e9;
        for (Thread w : workers) {
            w.join(TimeUnit.SECONDS.toMillis(30));
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("lock benchmark cell failed", failures.get(0));
        }
        return new Row("", "", threads, counted / seconds,
                latencies.getIntervalHistogram().getValueAtPercentile(99) / 1000.0);
    }

    /** A pool that has connected once (closed again if it could not). */
    private static HikariDataSource connectedPool(Workload db, Path out, DatabaseNames databases) throws SQLException {
        HikariDataSource pool = pool(db, out, databases);
        try (Connection c = pool.getConnection()) {
            c.isValid(3);
            return pool;
        } catch (RuntimeException | SQLException e) {
            pool.close();
            throw e;
        }
    }

    private static HikariDataSource pool(Workload db, Path out, DatabaseNames databases) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db == Workload.H2_FILE
                ? "jdbc:h2:file:" + out.resolve("data/locks").toAbsolutePath() + ";WRITE_DELAY=0;LOCK_TIMEOUT=10000"
                : db.url(null, databases, "locks", "a"));
        config.setUsername(db.user());
        config.setMaximumPoolSize(24);
        config.setPoolName("lock-bench-" + db.label());
        return new HikariDataSource(config);
    }

    private static LockSystem create(String system, Workload db, HikariDataSource pool) throws SQLException {
        return switch (system) {
            case "quorumtx" -> quorumtx(db, pool);
            case "shedlock" -> shedlock(db, pool);
            default -> spring(db, pool);
        };
    }

    private static LockSystem quorumtx(Workload db, HikariDataSource pool) {
        Dialect dialect = db == Workload.POSTGRES ? Dialect.postgresql() : db == Workload.MARIADB ? Dialect.mysql()
                : Dialect.h2();
        DatabaseLockService locks = DatabaseLockService.builder(pool, dialect).table("bench_quorumtx_locks").build();
        return new LockSystem() {
            @Override
            @SuppressWarnings("try") // the lock is held for the (empty) critical section only; the body does not reference it
            public void lockUnlock(String name) throws Exception {
                try (LockHandle ignored = locks.acquire(name)) {
                    // the critical section is empty: the lock's own cost is measured
                }
            }

            @Override
            public void close() {
                locks.close();
            }
        };
    }

    private static LockSystem shedlock(Workload db, HikariDataSource pool) throws SQLException {
        String ts = db == Workload.MARIADB ? "TIMESTAMP(3)" : "TIMESTAMP";
        execute(pool, "CREATE TABLE IF NOT EXISTS bench_shedlock (name VARCHAR(64) NOT NULL, lock_until " + ts
                + " NOT NULL, locked_at " + ts + " NOT NULL, locked_by VARCHAR(255) NOT NULL, PRIMARY KEY (name))");
        JdbcLockProvider provider = new JdbcLockProvider(pool, "bench_shedlock");
        return new LockSystem() {
            @Override
            public void lockUnlock(String name) throws Exception {
                long backoff = TimeUnit.MILLISECONDS.toNanos(10);
                while (true) {
                    Optional<SimpleLock> lock = provider.lock(new LockConfiguration(Instant.now(), name,
                            Duration.ofSeconds(30), Duration.ZERO));
                    if (lock.isPresent()) {
                        lock.get().unlock();
                        return;
                    }
                    // ShedLock does not wait: the same back-off as QuorumTX's default
                    TimeUnit.NANOSECONDS.sleep(ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1));
                    backoff = Math.min(TimeUnit.SECONDS.toNanos(1), backoff * 2);
                }
            }

            @Override
            public void close() {
                // nothing held
            }
        };
    }

    private static LockSystem spring(Workload db, HikariDataSource pool) throws SQLException {
        String ts = db == Workload.MARIADB ? "DATETIME(6)" : "TIMESTAMP";
        execute(pool, "CREATE TABLE IF NOT EXISTS INT_LOCK (LOCK_KEY CHAR(36) NOT NULL, REGION VARCHAR(100) NOT NULL,"
                + " CLIENT_ID CHAR(36), CREATED_DATE " + ts + " NOT NULL, constraint INT_LOCK_PK primary key"
                + " (LOCK_KEY, REGION))");
        DefaultLockRepository repository = new DefaultLockRepository(pool);
        repository.setTransactionManager(new DataSourceTransactionManager(pool));
        repository.setCheckDatabaseOnStart(false);
        repository.afterPropertiesSet();
        repository.afterSingletonsInstantiated();
        JdbcLockRegistry registry = new JdbcLockRegistry(repository);
        registry.setIdleBetweenTries(Duration.ofMillis(10));
        return new LockSystem() {
            @Override
            @SuppressWarnings("LockNotBeforeTry") // lock() then unlock() at once, nothing between that can throw
            public void lockUnlock(String name) {
                Lock lock = registry.obtain(name);
                lock.lock();
                lock.unlock();
            }

            @Override
            public void close() {
                repository.close();
            }
        };
    }

    private static void execute(HikariDataSource pool, String sql) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static void dropTables(HikariDataSource pool) throws SQLException {
        for (String table : List.of("bench_quorumtx_locks", "bench_shedlock", "INT_LOCK")) {
            execute(pool, "DROP TABLE IF EXISTS " + table);
        }
    }
}
