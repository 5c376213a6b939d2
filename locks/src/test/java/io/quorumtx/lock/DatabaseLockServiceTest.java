package io.quorumtx.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The database lock service on H2, PostgreSQL and MariaDB (the servers' tests skip when absent,
 * unless QUORUMTX_REQUIRE_DATABASES=1): mutual exclusion under contention between two services
 * (as two processes would be), reentrancy, leases by the database's clock, fencing tokens that
 * reject a stalled holder's write, renewal across several lease lengths, waiting with a deadline,
 * and clear errors for bad input.
 *
 * <p>Nothing here depends on a thread being scheduled within a few hundred milliseconds: leases
 * are long, a lease that must end is ended by writing its end into the table (time passing by the
 * database's clock, without waiting for it), and renewals are run by hand ({@link ManualWatchdog})
 * except in the one test of the service's own watchdog thread, which allows it seconds.
 */
class DatabaseLockServiceTest {

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private HikariDataSource pool;
    private String table;

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        if (pool != null) {
            LockBackend.drop(pool, table);
            LockBackend.drop(pool, table + "_fence");
            pool.close();
        }
    }

    private DatabaseLockService service(LockBackend backend, Duration lease, boolean watchdog) {
        return open(builder(backend, lease).watchdog(watchdog));
    }

    private DatabaseLockService service(LockBackend backend, Duration lease, Watchdog watchdog) {
        return open(builder(backend, lease).watchdog(watchdog));
    }

    private DatabaseLockService.Builder builder(LockBackend backend, Duration lease) {
        if (pool == null) {
            pool = backend.pool(dir);
            table = LockBackend.freshTable();
        }
        return DatabaseLockService.builder(pool, backend.dialect()).table(table).defaultLease(lease)
                .backoff(Duration.ofMillis(2), Duration.ofMillis(50));
    }

    private DatabaseLockService open(DatabaseLockService.Builder builder) {
        DatabaseLockService s = builder.build();
        open.add(s);
        return s;
    }

    private static LockInfo lockInfo(DatabaseLockService s, String name) {
        return s.list().stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow();
    }

    /**
     * Sets when lock {@code name}'s lease ends to {@code end} applied to the database's now: time
     * passing by the database's clock, without the test waiting for it.
     */
    private void setLeaseEnd(DatabaseLockService s, String name, UnaryOperator<Instant> end) throws SQLException {
        Instant databaseNow = lockInfo(s, name).databaseNow();
        try (Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET lease_until = ? WHERE name = ?")) {
            // Written as list() reads it (the same JDBC conversion both ways), so MariaDB's UTC DATETIME holds too.
            ps.setTimestamp(1, Timestamp.from(end.apply(databaseNow)));
            ps.setString(2, name);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(LockBackend.class)
    @SuppressWarnings("ThreadPriorityCheck") // yield only widens the lost-update window; correctness does not rely on it
    void twoServicesWithFourThreadsEachNeverLoseAnUpdateOfACounterKeptUnderTheLock(LockBackend backend)
            throws Exception {
        List<DatabaseLockService> services = List.of(service(backend, Duration.ofSeconds(10), true),
                service(backend, Duration.ofSeconds(10), true));
        long[] counter = {0};
        List<Long> tokens = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                DatabaseLockService s = services.get(t % 2);
                done.add(threads.submit(() -> {
                    for (int i = 0; i < 25; i++) {
                        try (LockHandle lock = s.acquire("counter")) {
                            tokens.add(lock.token());
                            long read = counter[0];
                            Thread.yield(); // widen the window a lost update would need
                            counter[0] = read + 1;
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(counter[0]).as("increments under the lock").isEqualTo(200);
        assertThat(tokens).as("every grant has its own token").doesNotHaveDuplicates().hasSize(200);
        assertThat(tokens).as("taken under the lock, in grant order: they only grow").isSorted();
    }

    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void theSameThreadReentersAndTheLockIsFreeOnlyAfterTheLastHandle(LockBackend backend) throws Exception {
        DatabaseLockService a = service(backend, Duration.ofSeconds(10), true);
        DatabaseLockService b = service(backend, Duration.ofSeconds(10), true);
        LockHandle outer = a.acquire("job");
        LockHandle inner = a.acquire("job");
        assertThat(inner.token()).isEqualTo(outer.token());
        inner.close();
        assertThat(outer.isHeld()).isTrue();
        assertThat(b.tryAcquire("job", Duration.ZERO)).as("still held by the outer handle").isEmpty();
        outer.close();
        outer.close(); // a second close of a handle does nothing
        try (LockHandle next = b.tryAcquire("job", Duration.ofSeconds(5)).orElseThrow()) {
            assertThat(next.token()).isGreaterThan(outer.token());
        }
    }

    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void aHolderStalledPastItsLeaseLosesTheLockAndItsFencedWriteIsRejected(LockBackend backend) throws Exception {
        DatabaseLockService stalled = service(backend, Duration.ofSeconds(60), false); // no watchdog: a GC pause
        DatabaseLockService other = service(backend, Duration.ofSeconds(10), true);
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + "_fence (id INT PRIMARY KEY, val VARCHAR(20), token BIGINT)");
            s.execute("INSERT INTO " + table + "_fence VALUES (1, 'initial', 0)");
        }
        LockHandle old = stalled.acquire("resource");
        assertThat(other.tryAcquire("resource", Duration.ZERO)).as("not granted while the lease lasts").isEmpty();
        // The holder stalls past its lease: the database's now passes the lease's end.
        setLeaseEnd(stalled, "resource", now -> now.minusSeconds(1));
        Optional<LockHandle> taken = other.tryAcquire("resource", Duration.ofSeconds(10));
        assertThat(taken).as("granted to another once the stalled holder's lease ended").isPresent();
        assertThat(taken.get().token()).isGreaterThan(old.token());
        assertThat(fencedWrite("new owner", taken.get().token())).isTrue();
        assertThat(fencedWrite("stale write", old.token())).as("the stalled holder's write is fenced off").isFalse();
        assertThat(old.isHeld()).isFalse();
        assertThatThrownBy(old::renew).isInstanceOf(LockLostException.class).hasMessageContaining("is no longer held");
        assertThatThrownBy(old::close).isInstanceOf(LockLostException.class)
                .hasMessageContaining("Cannot release lock 'resource'");
        taken.get().close();
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT val FROM " + table + "_fence WHERE id = 1")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("new owner");
        }
    }

    /** The storage side of fencing: a write carries its token and loses to any higher token already written. */
    private boolean fencedWrite(String value, long token) throws Exception {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE " + table + "_fence SET val = ?, token = ? WHERE id = 1 AND token < ?")) {
            ps.setString(1, value);
            ps.setLong(2, token);
            ps.setLong(3, token);
            return ps.executeUpdate() == 1;
        }
    }

    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void theWatchdogKeepsALockAcrossSeveralLeaseLengthsAndStopsAfterRelease(LockBackend backend) throws Exception {
        ManualWatchdog watchdog = new ManualWatchdog();
        Duration lease = Duration.ofSeconds(60);
        DatabaseLockService holder = service(backend, lease, watchdog);
        DatabaseLockService waiter = service(backend, Duration.ofSeconds(10), true);
        LockHandle lock = holder.acquire("long-job");
        assertThat(watchdog.periods()).as("renewed every third of the lease").containsExactly(Duration.ofSeconds(20));
        for (int length = 1; length <= 5; length++) {
            // Most of a lease length has passed since the last renewal: 10 s of the lease are left.
            setLeaseEnd(holder, "long-job", now -> now.plusSeconds(10));
            watchdog.renewNow();
            LockInfo info = lockInfo(holder, "long-job");
            assertThat(Duration.between(info.databaseNow(), info.leaseUntil().orElseThrow()))
                    .as("renewal %d: a whole lease from the database's now", length).isGreaterThan(Duration.ofSeconds(40));
            assertThat(info.token()).as("the same grant").isEqualTo(lock.token());
            assertThat(waiter.tryAcquire("long-job", Duration.ZERO)).as("held through lease length %d", length)
                    .isEmpty();
        }
        assertThat(lock.isHeld()).isTrue();
        lock.close();
        assertThat(watchdog.periods()).as("no renewal after the release").isEmpty();
        assertThat(waiter.tryAcquire("long-job", Duration.ofSeconds(5))).isPresent();
    }

    /**
     * The service's own watchdog thread renews a held lease by itself. Its first renewal is due a
     * third into a 9-s lease, so it may run 6 s late on a loaded machine and still find the lease.
     */
    @Test
    void theServicesOwnWatchdogThreadRenewsAHeldLease() throws Exception {
        DatabaseLockService holder = service(LockBackend.H2, Duration.ofSeconds(9), true);
        try (LockHandle lock = holder.acquire("self-renewed")) {
            Instant firstEnd = lockInfo(holder, "self-renewed").leaseUntil().orElseThrow();
            await("the watchdog's renewal moves the lease's end").atMost(Duration.ofSeconds(60))
                    .until(() -> lockInfo(holder, "self-renewed").leaseUntil().orElseThrow().isAfter(firstEnd));
            assertThat(lock.isHeld()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void leasesAreMeasuredByTheDatabasesClock(LockBackend backend) throws Exception {
        DatabaseLockService s = service(backend, Duration.ofSeconds(60), false);
        try (LockHandle lock = s.acquire("clocked")) {
            LockInfo info = s.list().stream().filter(i -> i.name().equals("clocked")).findFirst()
                    .orElseThrow();
            assertThat(info.held()).isTrue();
            assertThat(info.owner().orElseThrow()).startsWith(s.ownerId());
            assertThat(info.token()).isEqualTo(lock.token());
            Duration left = Duration.between(info.databaseNow(), info.leaseUntil().orElseThrow());
            // lease_until keeps milliseconds (rounded), the database's now microseconds: read within
            // half a millisecond of the grant, the lease can look up to 0.5 ms longer than asked.
            assertThat(left).isBetween(Duration.ofSeconds(50), Duration.ofSeconds(60).plusMillis(1));
        }
        assertThat(s.list().stream().filter(i -> i.name().equals("clocked")).findFirst().orElseThrow().held()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void badInputGetsAClearError(LockBackend backend) throws Exception {
        DatabaseLockService s = service(backend, Duration.ofSeconds(10), true);
        assertThatThrownBy(() -> s.acquire("")).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> s.acquire("x".repeat(201))).hasMessageContaining("has 201 characters")
                .hasMessageContaining("at most 200");
        assertThatThrownBy(() -> s.acquire("a", Duration.ZERO)).hasMessageContaining("lease must be positive");
        assertThatThrownBy(() -> s.tryAcquire("a", Duration.ofSeconds(-1))).hasMessageContaining("must not be negative");
        assertThatThrownBy(() -> DatabaseLockService.builder(pool, backend.dialect()).table("locks; DROP TABLE x").build())
                .hasMessageContaining("is not allowed").hasMessageContaining("[A-Za-z0-9_]");
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + table + "_fence (id INT PRIMARY KEY)");
        }
        assertThatThrownBy(() -> DatabaseLockService.builder(pool, backend.dialect()).table(table + "_fence").build())
                .hasMessageContaining("cannot be used").hasMessageContaining("name, owner, token and lease_until");
    }

    /**
     * PostgreSQL wakes waiters by NOTIFY when a lock is released: with a back-off of 60 s (a first
     * sleep of 30 to 60 s, with the jitter) the waiter gets the lock within seconds of the release.
     * (Without the notification it would sleep out its back-off.)
     */
    @Test
    void onPostgresqlAReleaseWakesTheWaiterBeforeItsBackOffEnds() throws Exception {
        pool = LockBackend.POSTGRESQL.pool(dir);
        table = LockBackend.freshTable();
        DatabaseLockService holder = DatabaseLockService.builder(pool, LockBackend.POSTGRESQL.dialect()).table(table)
                .build();
        DatabaseLockService waiter = DatabaseLockService.builder(pool, LockBackend.POSTGRESQL.dialect()).table(table)
                .backoff(Duration.ofSeconds(60), Duration.ofSeconds(60)).build();
        open.add(holder);
        open.add(waiter);
        LockHandle held = holder.acquire("notified");
        Thread[] waiterThread = new Thread[1];
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> waiterThread[0] = new Thread(r, "waiter"));
        try {
            Future<Optional<LockHandle>> waiting = thread.submit(() -> waiter.tryAcquire("notified", Duration.ofMinutes(2)));
            // The waiter failed its first attempt and waits, and its service's listener is listening.
            await("the waiter waits for a notification").atMost(Duration.ofSeconds(60))
                    .until(() -> waitsOnItsMonitor(waiterThread[0]) && listening("quorumtx_lock_" + table));
            assertThat(waiting.isDone()).isFalse();
            long released = System.nanoTime();
            held.close();
            Optional<LockHandle> got = waiting.get(120, TimeUnit.SECONDS);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - released);
            assertThat(got).isPresent();
            assertThat(tookMillis).as("woken by NOTIFY, not by the back-off of 30 s or more").isLessThan(20_000);
            got.get().close();
        } finally {
            thread.shutdownNow();
        }
    }

    /** True once a PostgreSQL session has run LISTEN on {@code channel} (and nothing since: it only polls). */
    private boolean listening(String channel) throws SQLException {
        try (Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE query = ?")) {
            ps.setString(1, "LISTEN " + channel);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getInt(1) > 0;
            }
        }
    }

    /** Waiting in the notification monitor (Object.wait), not still listening or trying. */
    private static boolean waitsOnItsMonitor(Thread t) {
        return t != null && t.getState() == Thread.State.TIMED_WAITING
                && java.util.Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getClassName().equals("java.lang.Object")
                && f.getMethodName().equals("wait"));
    }
}
