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
    /** The Redis locks, against the Redis server at {@link #REDIS_ADDRESS}, in the rows of db {@code redis}. */
    private static final List<String> REDIS_SYSTEMS = List.of("redisson", "redisson-fenced");
    private static final String REDIS_ADDRESS = System.getProperty("bench.redis", "redis://127.0.0.1:6379");

    private LockBenchmark() {
    }

    interface LockSystem extends AutoCloseable {
        /** Acquire (waiting as the library waits) and release {@code name} once. */
        void lockUnlock(String name) throws Exception;

        @Override
        default void close() {
        }
    }

    record Row(String system, String db, int threads, double opsPerSecond, double p50Millis, double p99Millis) {
    }

    /** On the servers: in the first of {@code servers}' databases, created if missing; what is skipped goes into {@code skips}. */
    static void run(Path out, Duration warmUp, Duration measure, ServerSetup servers, Skips skips) throws Exception {
        List<Row> rows = new ArrayList<>();
        // -Dbench.locks.dbs=mariadb (say): only there; default h2-file,postgres,mariadb,redis (redis: Redisson).
        List<String> wanted = List.of(System.getProperty("bench.locks.dbs", "h2-file,postgres,mariadb,redis").split(","));
        for (Workload db : List.of(Workload.H2_FILE, Workload.POSTGRES, Workload.MARIADB)) {
            if (!wanted.contains(db.label())) {
                continue;
            }
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
                if (Boolean.getBoolean("bench.locks.count")) {
                    countStatements(db, pool);
                }
                for (String system : SYSTEMS) {
                    for (int threads : List.of(1, 16)) {
                        try (LockSystem s = create(system, db, pool)) {
                            cell(s, threads, warmUp); // warm-up, not recorded
                            Row r = cell(s, threads, measure);
                            rows.add(new Row(system, db.label(), threads, r.opsPerSecond(), r.p50Millis(),
                                    r.p99Millis()));
                            System.out.printf(Locale.ROOT, "  locks %-18s %-8s %2d threads: %8.0f ops/s  p50 %8.3f ms"
                                    + "  p99 %8.3f ms%n", system, db.label(), threads, r.opsPerSecond(), r.p50Millis(),
                                    r.p99Millis());
                        }
                    }
                }
                dropTables(pool);
            }
        }
        if (wanted.contains("redis")) {
            redis(rows, warmUp, measure, skips);
        }
        StringBuilder csv = new StringBuilder("system,db,threads,ops_per_s,p50_ms,p99_ms\n");
        for (Row r : rows) {
            csv.append(String.format(Locale.ROOT, "%s,%s,%d,%.1f,%.3f,%.3f%n", r.system(), r.db(), r.threads(),
                    r.opsPerSecond(), r.p50Millis(), r.p99Millis()));
        }
        Files.writeString(out.resolve("locks.csv"), csv);
        System.out.println();
        System.out.println("| system | db | threads | ops/s | p50 ms | p99 ms |");
        System.out.println("|---|---|---:|---:|---:|---:|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %.0f | %.3f | %.3f |%n", r.system(), r.db(), r.threads(),
                    r.opsPerSecond(), r.p50Millis(), r.p99Millis());
        }
        for (String db : List.of("postgres", "mariadb")) { // issue 16's target: >= 1.5x the best peer
            for (int threads : List.of(1, 16)) {
                double ours = find(rows, "quorumtx", db, threads);
                String bestPeer = find(rows, "shedlock", db, threads) >= find(rows, "spring-integration", db, threads)
                        ? "shedlock" : "spring-integration";
                double best = find(rows, bestPeer, db, threads);
                if (ours > 0 && best > 0) {
                    double ourP99 = p99(rows, "quorumtx", db, threads);
                    double peerP99 = p99(rows, bestPeer, db, threads);
                    System.out.printf(Locale.ROOT, "target locks %s %2d threads: quorumtx / best peer (%s) = %.2f"
                            + " (wanted >= 1.5), p99 %.3f against %.3f ms: %s%n", db, threads, bestPeer, ours / best,
                            ourP99, peerP99, ours >= 1.5 * best && ourP99 <= peerP99 ? "MET" : "MISSED");
                }
            }
        }
        System.out.println("Wrote " + out.resolve("locks.csv").toAbsolutePath());
    }

    private static double p99(List<Row> rows, String system, String db, int threads) {
        return rows.stream().filter(r -> r.system().equals(system) && r.db().equals(db) && r.threads() == threads)
                .mapToDouble(Row::p99Millis).findFirst().orElse(0);
    }

    /**
     * Redisson's {@code RLock} and {@code RFencedLock} on the Redis server (its own rows, db
     * {@code redis}); skipped with the reason when no Redis answers there.
     */
    private static void redis(List<Row> rows, Duration warmUp, Duration measure, Skips skips) throws Exception {
        java.net.URI address = java.net.URI.create(REDIS_ADDRESS);
        try (java.net.Socket probe = new java.net.Socket()) {
            probe.connect(new java.net.InetSocketAddress(address.getHost(), address.getPort()), 2000);
        } catch (java.io.IOException e) {
            skips.skipped("locks", "redis", "redisson", "no Redis server at " + REDIS_ADDRESS + " (" + e.getMessage()
                    + "); start one (redis-server --daemonize yes) or point -Dbench.redis=redis://host:port at one");
            return;
        }
        org.redisson.config.Config config = new org.redisson.config.Config();
        config.useSingleServer().setAddress(REDIS_ADDRESS).setConnectionPoolSize(24).setConnectionMinimumIdleSize(24);
        org.redisson.api.RedissonClient client = org.redisson.Redisson.create(config);
        try {
            // A name of this run only: other engineers' runs on the same Redis never meet it.
            String prefix = "quorumtx-bench-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "-";
            for (String system : REDIS_SYSTEMS) {
                for (int threads : List.of(1, 16)) {
                    LockSystem s = system.equals("redisson") ? name -> {
                        org.redisson.api.RLock lock = client.getLock(prefix + name);
                        lock.lock(); // watchdog renewal, as QuorumTX's default
                        try {
                            // the operation measured is acquire + release: nothing held in between
                        } finally {
                            lock.unlock();
                        }
                    } : name -> {
                        org.redisson.api.RFencedLock lock = client.getFencedLock(prefix + name);
                        lock.lockAndGetToken();
                        try {
                            // as above
                        } finally {
                            lock.unlock();
                        }
                    };
                    cell(s, threads, warmUp);
                    Row r = cell(s, threads, measure);
                    rows.add(new Row(system, "redis", threads, r.opsPerSecond(), r.p50Millis(), r.p99Millis()));
                    System.out.printf(Locale.ROOT, "  locks %-18s %-8s %2d threads: %8.0f ops/s  p50 %8.3f ms  p99 %8.3f"
                            + " ms%n", system, "redis", threads, r.opsPerSecond(), r.p50Millis(), r.p99Millis());
                }
            }
            client.getKeys().deleteByPattern(prefix + "*");
        } finally {
            client.shutdown();
        }
    }

    /**
     * {@code -Dbench.locks.count=true}: JDBC calls per acquire + release of each database system,
     * counted on a proxy of the pool (statements executed, commits, rollbacks, auto-commit and
     * isolation switches), 200 uncontended operations after 20 not counted.
     */
    private static void countStatements(Workload db, HikariDataSource pool) throws Exception {
        for (String system : SYSTEMS) {
            java.util.Map<String, AtomicLong> calls = new java.util.concurrent.ConcurrentSkipListMap<>();
            javax.sql.DataSource counting = CountingDataSource.wrap(pool, calls);
            try (LockSystem s = create(system, db, counting)) {
                for (int i = 0; i < 20; i++) {
                    s.lockUnlock("count-lock");
                }
                calls.clear();
                int n = 200;
                for (int i = 0; i < n; i++) {
                    s.lockUnlock("count-lock");
                }
                StringBuilder line = new StringBuilder();
                calls.forEach((call, count) -> line.append(String.format(Locale.ROOT, " %s %.2f", call,
                        count.get() / (double) n)));
                System.out.printf(Locale.ROOT, "  locks count %-18s %-8s per acquire+release:%s%n", system,
                        db.label(), line);
            }
        }
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
        org.HdrHistogram.Histogram h = latencies.getIntervalHistogram();
        return new Row("", "", threads, counted / seconds, h.getValueAtPercentile(50) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0);
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

    private static LockSystem create(String system, Workload db, javax.sql.DataSource pool) throws SQLException {
        return switch (system) {
            case "quorumtx" -> quorumtx(db, pool);
            case "shedlock" -> shedlock(db, pool);
            default -> spring(db, pool);
        };
    }

    private static LockSystem quorumtx(Workload db, javax.sql.DataSource pool) {
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

    private static LockSystem shedlock(Workload db, javax.sql.DataSource pool) throws SQLException {
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

    private static LockSystem spring(Workload db, javax.sql.DataSource pool) throws SQLException {
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

    private static void execute(javax.sql.DataSource pool, String sql) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static void dropTables(HikariDataSource pool) throws SQLException {
        for (String table : List.of("bench_quorumtx_locks", "bench_quorumtx_locks_released", "bench_shedlock", "INT_LOCK")) {
            execute(pool, "DROP TABLE IF EXISTS " + table);
        }
    }
}
