package io.quorumtx.lock;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
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
}
