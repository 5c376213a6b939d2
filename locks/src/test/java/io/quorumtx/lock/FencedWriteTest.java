package io.quorumtx.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 16, finding 4: fencing enforced by the database of the protected data. A holder stalls
 * (its thread waits on a latch) past its lease; a new holder writes under a higher token; the
 * stalled holder wakes and writes, and its guarded transaction fails and is rolled back, leaving
 * the new holder's value. (New API: before the fix nothing enforced it and this did not compile.)
 */
class FencedWriteTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void aStalledHoldersLateWriteIsRolledBackByTheDatabase(LockBackend backend) throws Exception {
        ExecutorService stalledThread = Executors.newSingleThreadExecutor();
        try (LockFixture f = new LockFixture(backend, dir)) {
            String data = f.table + "_data";
            try (Connection c = f.pool.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE " + data + " (id INT PRIMARY KEY, val VARCHAR(20))");
                s.execute("INSERT INTO " + data + " VALUES (1, 'initial')");
            }
            f.closeAtEnd(() -> LockBackend.drop(f.pool, data));
            f.closeAtEnd(() -> LockBackend.drop(f.pool, f.table + "_fence"));
            LockFence fence = LockFence.create(f.pool, backend.dialect(), f.table + "_fence");
            DatabaseLockService stalled = f.open(f.builder(Duration.ofSeconds(60)).watchdog(false));
            DatabaseLockService other = f.open(f.builder(Duration.ofSeconds(60)));

            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch wake = new CountDownLatch(1);
            Future<Long> late = stalledThread.submit(() -> {
                LockHandle lock = stalled.acquire("resource");
                long token = lock.token();
                held.countDown();
                wake.await(); // the stall: a GC pause, a frozen VM
                return write(f, data, "stale write", fence, token);
            });
            assertThat(held.await(60, TimeUnit.SECONDS)).isTrue();
            f.setLeaseEnd(stalled, "resource", now -> now.minusSeconds(1)); // the stall outlasted the lease
            try (LockHandle next = other.tryAcquire("resource", Duration.ofSeconds(30)).orElseThrow()) {
                assertThat(write(f, data, "new owner", fence, next.token())).isEqualTo(1L);
            }
            wake.countDown();
            assertThat(late.get(60, TimeUnit.SECONDS)).as("the stalled holder's transaction was rolled back")
                    .isEqualTo(-1L);
            try (Connection c = f.pool.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT val FROM " + data + " WHERE id = 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("new owner");
            }
            try (Connection c = f.pool.getConnection()) {
                assertThatThrownBy(() -> fence.guard(c, "resource", 1)).isInstanceOf(LockLostException.class)
                        .hasMessageContaining("Write fenced off").hasMessageContaining("roll it back");
            }
        } finally {
            stalledThread.shutdownNow();
        }
    }

    /** Writes {@code value} and guards in one transaction: 1 if committed, -1 if fenced off and rolled back. */
    private static long write(LockFixture f, String data, String value, LockFence fence, long token) throws Exception {
        try (Connection c = f.pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + data + " SET val = ? WHERE id = 1")) {
                ps.setString(1, value);
                ps.executeUpdate();
                fence.guard(c, "resource", token);
                c.commit();
                return 1;
            } catch (LockLostException fenced) {
                c.rollback();
                return -1;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }
}
