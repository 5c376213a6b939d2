package io.quorumtx.lock;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 16, finding 6 (one commit per contended operation): when a grant is closed while another
 * thread of the same service waits for the lock, the row passes to the waiter in the waiter's
 * granting statement (a higher token) instead of a release statement and then a grant — one
 * statement, one commit, where there were two. Before the change the handoff took two statements
 * ({@code expected 1 but was 2}). The handed-over lock stays held in the database throughout: a
 * second service cannot take it between the two holders, and it is free once the last holder
 * closes with nobody waiting.
 */
class HandoverTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void aWaitingThreadOfTheServiceTakesTheRowOverInOneStatement(LockBackend backend) throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (LockFixture f = new LockFixture(backend, dir)) {
            AtomicInteger executed = new AtomicInteger();
            DatabaseLockService s = f.open(DatabaseLockService.builder(RoundTripTest.counting(f.pool, executed),
                    backend.dialect()).table(f.table).ownerId("handover-a").watchdog(false));
            DatabaseLockService outsider = f.open(f.builder(Duration.ofSeconds(30)).ownerId("handover-b")
                    .watchdog(false));
            LockHandle first = s.acquire("job");
            long firstToken = first.token();
            Future<LockHandle> second = other.submit(() -> s.acquire("job"));
            Poll.until("the second acquire queues for its turn", Duration.ofSeconds(30),
                    () -> s.hasQueuedAcquires("job"));
            executed.set(0);
            first.close();
            LockHandle next = second.get(30, TimeUnit.SECONDS);
            assertThat(executed.get()).as("statements from the first holder's close to the second's grant")
                    .isEqualTo(1);
            assertThat(next.token()).as("the taker's token").isGreaterThan(firstToken);
            LockInfo row = f.lockInfo(s, "job");
            assertThat(row.token()).isEqualTo(next.token());
            assertThat(row.owner()).as("the row's owner: the second thread").isPresent().get().asString()
                    .startsWith("handover-a:").isNotEqualTo("handover-a:" + Thread.currentThread().getId());
            assertThat(outsider.tryAcquire("job", Duration.ZERO)).as("another service, while handed over").isEmpty();

            other.submit(next::close).get(30, TimeUnit.SECONDS); // nobody waits: a real release
            assertThat(f.lockInfo(s, "job").owner()).as("the row after the last close").isEmpty();
            Optional<LockHandle> outsiders = outsider.tryAcquire("job", Duration.ZERO);
            assertThat(outsiders).as("another service, after the last close").isPresent();
            assertThat(outsiders.get().token()).isGreaterThan(next.token());
            outsiders.get().close();
        } finally {
            other.shutdownNow();
        }
    }
}
