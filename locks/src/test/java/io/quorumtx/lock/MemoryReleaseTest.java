package io.quorumtx.lock;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.jdbc.dialect.Dialect;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, finding 6 on MariaDB: a release needs no durable commit (a forgotten release only
 * keeps a lock until its lease ends), and MariaDB cannot skip the flush for one transaction, so a
 * release writes no InnoDB row: it is recorded in the memory table {@code <table>_released}. Before
 * the change every release was a durable UPDATE of the lock row: the first test failed with the
 * lock row's owner already NULL after the release and one redo-log flush per release.
 */
class MemoryReleaseTest {
    private static final int RELEASES = 40;

    @TempDir
    Path dir;

    @Test
    void aReleaseWritesNoLockRowAndWaitsForNoFlush() throws Exception {
        try (LockFixture f = new LockFixture(LockBackend.MARIADB, dir)) {
            DatabaseLockService s = f.open(f.builder(Duration.ofSeconds(30)).ownerId("mem-a").watchdog(false));
            DatabaseLockService other = f.open(f.builder(Duration.ofSeconds(30)).ownerId("mem-b").watchdog(false));
            List<LockHandle> held = new ArrayList<>();
            for (int i = 0; i < RELEASES; i++) {
                held.add(s.acquire("job-" + i));
            }
            long tokenOfFirst = held.get(0).token();
            long fsyncs = logFsyncs(f);
            for (LockHandle h : held) {
                h.close();
            }
            long flushed = logFsyncs(f) - fsyncs;
            // A durable release flushes the redo log once (group commit cannot merge them: one thread).
            // The server's own background flushes (about one a second) stay far below the count.
            assertThat(flushed).as("InnoDB fsyncs during %d releases", RELEASES).isLessThan(RELEASES / 2);
            assertThat(rawOwner(f, "job-0")).as("the InnoDB row still names the last holder").isPresent();
            assertThat(f.lockInfo(s, "job-0").held()).as("the lock as the service lists it").isFalse();
            assertThat(f.lockInfo(s, "job-0").owner()).isEmpty();
            try (LockHandle taken = other.tryAcquire("job-0", Duration.ZERO).orElseThrow()) {
                assertThat(taken.token()).as("the next holder's token").isGreaterThan(tokenOfFirst);
                assertThat(taken.isHeld()).isTrue();
                assertThat(s.tryAcquire("job-0", Duration.ZERO)).as("held by the other service").isEmpty();
            }
        }
    }

    /**
     * A server restart empties the memory table. The releases it held are forgotten: those locks
     * are held again by the database's reckoning until their leases end — never granted twice —
     * and then granted with a higher token.
     */
    @Test
    void forgottenReleasesKeepTheLockUntilItsLeaseEnds() throws Exception {
        try (LockFixture f = new LockFixture(LockBackend.MARIADB, dir)) {
            DatabaseLockService s = f.open(f.builder(Duration.ofSeconds(30)).ownerId("mem-a").watchdog(false));
            DatabaseLockService other = f.open(f.builder(Duration.ofSeconds(30)).ownerId("mem-b").watchdog(false));
            long token;
            try (LockHandle h = s.acquire("job")) {
                token = h.token();
            }
            execute(f, "DELETE FROM " + f.table + LockSql.RELEASED_SUFFIX); // what a server restart does to it
            assertThat(f.lockInfo(s, "job").held()).as("held again once the release is forgotten").isTrue();
            assertThat(other.tryAcquire("job", Duration.ZERO)).as("not granted while the lease lasts").isEmpty();
            f.setLeaseEnd(s, "job", now -> now.minusSeconds(1)); // the lease ends by the database's clock
            try (LockHandle h = other.tryAcquire("job", Duration.ZERO).orElseThrow()) {
                assertThat(h.token()).isGreaterThan(token);
            }
        }
    }

    /**
     * The memory table is created small (its size is the session's max_heap_table_size at
     * creation): when it is full, the releases it holds go to the lock table in one commit and
     * releasing goes on; every lock is free afterwards and the table never holds them all.
     */
    @Test
    void aFullMemoryTableIsWrittenToTheLockTableAndReleasingGoesOn() throws Exception {
        try (LockFixture f = new LockFixture(LockBackend.MARIADB, dir)) {
            try (Connection c = f.pool.getConnection(); Statement st = c.createStatement()) {
                st.execute("SET SESSION max_heap_table_size = 16384");
                st.execute(LockSql.of(Dialect.mysql(), f.table).createReleasedTable());
                st.execute("SET SESSION max_heap_table_size = DEFAULT");
            }
            DatabaseLockService s = f.open(f.builder(Duration.ofSeconds(30)).ownerId("mem-a").watchdog(false));
            DatabaseLockService other = f.open(f.builder(Duration.ofSeconds(30)).ownerId("mem-b").watchdog(false));
            int names = 300;
            for (int i = 0; i < names; i++) {
                s.acquire("job-" + i).close();
            }
            assertThat(count(f, "SELECT COUNT(*) FROM " + f.table + LockSql.RELEASED_SUFFIX))
                    .as("rows in the 16-KB memory table").isLessThan(names);
            assertThat(count(f, "SELECT COUNT(*) FROM " + f.table + " WHERE owner IS NULL"))
                    .as("releases written to the lock table when the memory table was full").isPositive();
            for (int i = 0; i < names; i++) {
                assertThat(other.tryAcquire("job-" + i, Duration.ZERO)).as("job-%d is free", i).isPresent();
            }
        }
    }

    /** Without the memory table (createTable(false), only the lock table made) releases are durable UPDATEs. */
    @Test
    void withoutTheMemoryTableAReleaseIsADurableUpdate() throws Exception {
        try (LockFixture f = new LockFixture(LockBackend.MARIADB, dir)) {
            execute(f, LockSql.of(Dialect.mysql(), f.table).createTable());
            DatabaseLockService s = f.open(f.builder(Duration.ofSeconds(30)).createTable(false).watchdog(false));
            s.acquire("job").close();
            assertThat(rawOwner(f, "job")).as("the InnoDB row after the release").isEmpty();
            assertThat(count(f, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
                    + " AND table_name = '" + f.table + LockSql.RELEASED_SUFFIX + "'")).isZero();
        }
    }

    private static java.util.Optional<String> rawOwner(LockFixture f, String name) throws SQLException {
        try (Connection c = f.pool.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT owner FROM " + f.table + " WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("row of %s", name).isTrue();
                return java.util.Optional.ofNullable(rs.getString(1));
            }
        }
    }

    private static long logFsyncs(LockFixture f) throws SQLException {
        try (Connection c = f.pool.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW GLOBAL STATUS LIKE 'Innodb_data_fsyncs'")) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(2);
        }
    }

    private static long count(LockFixture f, String sql) throws SQLException {
        try (Connection c = f.pool.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1);
        }
    }

    private static void execute(LockFixture f, String sql) throws SQLException {
        try (Connection c = f.pool.getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
