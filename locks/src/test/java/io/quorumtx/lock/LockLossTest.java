package io.quorumtx.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a holder learns, and when, once its lease is gone: renewals run by hand
 * ({@link ManualWatchdog}), leases ended by writing their end into the table.
 */
class LockLossTest {

    @TempDir
    Path dir;

    /** Issue 16, finding 3: the lost hold kept the service's turn for the name, so this blocked forever. */
    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void aHoldTheWatchdogFoundLostFreesItsPlaceSoTheSameThreadsNextAcquireProceeds(LockBackend backend)
            throws Exception {
        ExecutorService ownerThread = Executors.newSingleThreadExecutor();
        try (LockFixture f = new LockFixture(backend, dir)) {
            ManualWatchdog watchdog = new ManualWatchdog();
            DatabaseLockService s = f.open(f.builder(Duration.ofSeconds(60)).watchdog(watchdog));
            LockHandle first = ownerThread.submit(() -> s.acquire("job")).get(60, TimeUnit.SECONDS);
            long firstToken = first.token();
            f.setLeaseEnd(s, "job", now -> now.minusSeconds(1)); // the lease ended by the database's clock
            watchdog.renewNow(); // finds it ended: the hold is lost
            Future<LockHandle> next = ownerThread.submit(() -> s.acquire("job"));
            LockHandle second = next.get(60, TimeUnit.SECONDS); // a TimeoutException before the fix
            assertThat(second.token()).as("a new grant, not the lost one re-entered").isGreaterThan(firstToken);
            assertThat(second.isHeld()).isTrue();
            ownerThread.submit(second::close).get(60, TimeUnit.SECONDS);
        } finally {
            ownerThread.shutdownNow();
        }
    }

    /** Issue 16, finding 2: before the fix token() kept answering after the watchdog had found the lease ended. */
    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void aLostHoldsTokenThrowsAndItIsNotHeld(LockBackend backend) throws Exception {
        try (LockFixture f = new LockFixture(backend, dir)) {
            ManualWatchdog watchdog = new ManualWatchdog();
            DatabaseLockService s = f.open(f.builder(Duration.ofSeconds(60)).watchdog(watchdog));
            LockHandle lock = s.acquire("job");
            f.setLeaseEnd(s, "job", now -> now.minusSeconds(1));
            watchdog.renewNow();
            assertThat(lock.isHeld()).isFalse();
            assertThatThrownBy(lock::token).as("work under a lost lock must not go on with its token")
                    .isInstanceOf(LockLostException.class).hasMessageContaining("is no longer held");
        }
    }

    /**
     * Issue 16, finding 2: renewals went through the application's pool, so a pool exhausted by the
     * application starved them (before the fix the renewal waited for the pool's 2-s connection
     * timeout, failed, and the nearly ended lease was not extended).
     */
    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void anExhaustedApplicationPoolDoesNotStarveRenewals(LockBackend backend) throws Exception {
        try (LockFixture f = new LockFixture(backend, dir)) {
            HikariDataSource small = f.closeAtEnd(backend.pool(dir, 4, Duration.ofSeconds(2)));
            ManualWatchdog watchdog = new ManualWatchdog();
            DatabaseLockService s = f.open(DatabaseLockService.builder(small, backend.dialect()).table(f.table)
                    .defaultLease(Duration.ofSeconds(60)).watchdog(watchdog));
            LockHandle lock = s.acquire("job");
            f.setLeaseEnd(s, "job", now -> now.plusSeconds(10)); // most of the lease has passed
            List<Connection> taken = new ArrayList<>();
            try {
                while (true) { // the application takes every connection its pool has
                    taken.add(small.getConnection());
                }
            } catch (SQLException exhausted) {
                assertThat(taken).as("connections the application took").isNotEmpty();
            }
            try {
                watchdog.renewNow();
            } finally {
                for (Connection c : taken) {
                    c.close();
                }
            }
            LockInfo info = f.lockInfo(s, "job");
            assertThat(Duration.between(info.databaseNow(), info.leaseUntil().orElseThrow()))
                    .as("renewed to a whole lease despite the exhausted pool").isGreaterThan(Duration.ofSeconds(40));
            assertThat(lock.token()).isEqualTo(info.token());
        }
    }
}
