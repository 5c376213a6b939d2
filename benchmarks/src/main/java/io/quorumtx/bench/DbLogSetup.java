package io.quorumtx.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.quorumtx.jdbc.dblog.DatabaseCommitLog;

/**
 * The database commit log of {@code quorumtx-dblog} and {@code quorumtx-dblog-dialect}: its tables
 * ({@value #PREFIX}{@code _*}) in bank database A, carried by A's {@code TransactionalDataSource}
 * ({@link DatabaseCommitLog.Builder#carriedBy}), so a transfer is prepare B, one-phase commit of A
 * with the COMMIT row inside it, commit B.
 *
 * <p>The log gets a small HikariCP pool of its own on A's plain DataSource (for settling, the
 * lease and the deleter of finished rows), as an application would give it; the tables are dropped
 * before the log is built (a fresh log per system and workload) and after it is closed. A sampler
 * counts the decision table's rows every {@value #SAMPLE_MILLIS} ms, so each cell's diagnostics
 * line shows the largest and the last count: the table must stay bounded under load (the deleter
 * removes the rows of finished transactions every {@code deleteInterval}, 200 ms by default).
 */
final class DbLogSetup implements AutoCloseable {
    static final String PREFIX = "bench_dblog";
    private static final long SAMPLE_MILLIS = 100;
    private static final List<String> TABLES = List.of("_decisions", "_done", "_nodes", "_meta");

    private final HikariDataSource pool;
    private final DatabaseCommitLog log;
    private final ScheduledExecutorService sampler;
    private final AtomicLong maxRows = new AtomicLong();
    private final AtomicLong overallMaxRows = new AtomicLong();
    private final AtomicLong lastRows = new AtomicLong();
    private final AtomicLong sampleErrors = new AtomicLong();
    private DatabaseCommitLog.Stats lastStats;

    DbLogSetup(BankDatabase a, String carrier) throws SQLException {
        HikariConfig config = new HikariConfig();
        config.setPoolName("bench-dblog");
        config.setDataSource(a.dataSource());
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(1);
        pool = new HikariDataSource(config);
        try {
            dropTables();
            log = DatabaseCommitLog.builder(pool, a.dialect()).tablePrefix(PREFIX).carriedBy(carrier).build();
        } catch (SQLException | RuntimeException e) {
            pool.close();
            throw e;
        }
        lastStats = log.stats();
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-dblog-rows");
            t.setDaemon(true);
            return t;
        });
        // Not kept: shutdownNow() in close() ends it, and sample() catches what a sample can throw.
        var unused = sampler.scheduleWithFixedDelay(this::sample, SAMPLE_MILLIS, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
    }

    DatabaseCommitLog log() {
        return log;
    }

    private void sample() {
        try {
            long rows = countRows();
            lastRows.set(rows);
            maxRows.accumulateAndGet(rows, Math::max);
            overallMaxRows.accumulateAndGet(rows, Math::max);
        } catch (SQLException e) {
            sampleErrors.incrementAndGet();
        }
    }

    private long countRows() throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + PREFIX + "_decisions")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Since the last call: decisions carried in A's branch, written standalone (none expected
     * here: every transfer enlists A), rows deleted; and the decision table's largest and latest
     * row counts sampled in that time.
     */
    synchronized String sinceLastCall() {
        DatabaseCommitLog.Stats now = log.stats();
        DatabaseCommitLog.Stats was = lastStats;
        lastStats = now;
        long max = maxRows.getAndSet(lastRows.get());
        long errors = sampleErrors.getAndSet(0);
        return String.format(Locale.ROOT, "dblog: %d decisions carried in A's commit, %d standalone (%d commits),"
                        + " %d rows deleted; %s_decisions rows: max %d, last %d%s",
                now.carriedDecisions() - was.carriedDecisions(), now.standaloneDecisions() - was.standaloneDecisions(),
                now.standaloneCommits() - was.standaloneCommits(), now.rowsDeleted() - was.rowsDeleted(), PREFIX,
                max, lastRows.get(), errors == 0 ? "" : " (" + errors + " samples failed)");
    }

    /** After the manager closed the log (which deletes what is ended): prints the rows left, drops the tables. */
    @Override
    public void close() throws SQLException {
        sampler.shutdownNow();
        try {
            if (!sampler.awaitTermination(5, TimeUnit.SECONDS)) {
                System.out.println("warning: the dblog row sampler did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            System.out.println("    dblog closed: " + countRows() + " rows left in " + PREFIX
                    + "_decisions (largest sampled while open: " + overallMaxRows.get() + ")");
            dropTables();
        } finally {
            pool.close();
        }
    }

    private void dropTables() throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            for (String table : TABLES) {
                s.execute("DROP TABLE IF EXISTS " + PREFIX + table);
            }
        }
    }
}
