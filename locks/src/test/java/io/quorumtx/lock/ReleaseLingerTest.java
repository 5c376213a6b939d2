package io.quorumtx.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 16, finding 6 on MariaDB: a lock closed while no thread of the service waits for it
 * stays with the service for the release linger; a thread of the service that asks for it
 * meanwhile takes it over in its granting statement (one round trip for a release and a grant),
 * and when the linger ends it is released. Other processes never get it while it lingers, and
 * closing the service releases it at once.
 */
class ReleaseLingerTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void theNextAcquireWithinTheLingerTakesTheLockOverInOneStatement(LockBackend backend) throws Exception {
        try (LockFixture f = new LockFixture(backend, dir)) {
            AtomicInteger executed = new AtomicInteger();
            DatabaseLockService s = f.open(DatabaseLockService.builder(RoundTripTest.counting(f.pool, executed),
                    backend.dialect()).table(f.table).releaseLinger(Duration.ofSeconds(20)));
            DatabaseLockService other = f.open(f.builder(Duration.ofSeconds(30)).ownerId("linger-b"));
            s.acquire("job").close(); // the row is inserted the first time
            long first;
            try (LockHandle again = s.acquire("job")) { // takes over the first grant, lingering
                first = again.token();
                executed.set(0);
            }
            assertThat(executed.get()).as("statements of close() while the linger lasts").isZero();
            assertThat(other.tryAcquire("job", Duration.ZERO)).as("another service during the linger").isEmpty();
            executed.set(0);
            try (LockHandle next = s.acquire("job")) {
                assertThat(executed.get()).as("statements of the acquire that takes the lingering lock over")
                        .isEqualTo(1);
                assertThat(next.token()).isGreaterThan(first).isEqualTo(f.lockInfo(s, "job").token());
            }
        }
    }

    @Test
    void theLockIsReleasedWhenTheLingerEnds() throws Exception {
        try (LockFixture f = new LockFixture(LockBackend.MARIADB, dir)) {
            FakeTicker ticker = new FakeTicker();
            ManualWatchdog watchdog = new ManualWatchdog(ticker);
            DatabaseLockService s = f.open(f.builder(Duration.ofSeconds(30)).ownerId("linger-a").watchdog(watchdog)
                    .ticker(ticker).releaseLinger(Duration.ofSeconds(1)));
            DatabaseLockService other = f.open(f.builder(Duration.ofSeconds(30)).ownerId("linger-b")
                    .watchdog(false));
            long token;
            try (LockHandle h = s.acquire("job")) {
                token = h.token();
            }
            assertThat(f.lockInfo(s, "job").held()).as("held in the database while it lingers").isTrue();
            watchdog.runDue();
            assertThat(other.tryAcquire("job", Duration.ZERO)).as("before the linger's end").isEmpty();
            ticker.advance(Duration.ofSeconds(1));
            watchdog.runDue(); // the linger ends: released
            assertThat(f.lockInfo(s, "job").held()).as("after the linger").isFalse();
            try (LockHandle h = other.tryAcquire("job", Duration.ZERO).orElseThrow()) {
                assertThat(h.token()).isGreaterThan(token);
            }
        }
    }

    /** MariaDB's default (2 ms) on the service's own watchdog: the lock becomes free by itself. */
    @Test
    void byDefaultOnMariaDbTheLockIsFreeSoonAfterClose() throws Exception {
        try (LockFixture f = new LockFixture(LockBackend.MARIADB, dir)) {
            DatabaseLockService s = f.open(f.builder(Duration.ofSeconds(30)).ownerId("linger-a"));
            DatabaseLockService other = f.open(f.builder(Duration.ofSeconds(30)).ownerId("linger-b"));
            s.acquire("job").close();
            assertThat(other.tryAcquire("job", Duration.ofSeconds(20))).as("free within 20 s").isPresent();
        }
    }

    @Test
    void closingTheServiceReleasesALingeringLockAtOnce() throws Exception {
        try (LockFixture f = new LockFixture(LockBackend.MARIADB, dir)) {
            DatabaseLockService s = f.open(f.builder(Duration.ofSeconds(30)).ownerId("linger-a")
                    .releaseLinger(Duration.ofSeconds(20)));
            DatabaseLockService other = f.open(f.builder(Duration.ofSeconds(30)).ownerId("linger-b").watchdog(false));
            s.acquire("job").close();
            s.close();
            assertThat(other.tryAcquire("job", Duration.ZERO)).as("after the lingering service closed").isPresent();
        }
    }

    @Test
    void aLingerNeedsTheWatchdogAndIsShorterThanTheLease() throws Exception {
        try (LockFixture f = new LockFixture(LockBackend.H2, dir)) {
            assertThatThrownBy(() -> f.builder(Duration.ofSeconds(30)).watchdog(false)
                    .releaseLinger(Duration.ofMillis(5)).build()).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("needs the watchdog");
            assertThatThrownBy(() -> f.builder(Duration.ofSeconds(30)).releaseLinger(Duration.ofMillis(-1)).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be negative");
            assertThatThrownBy(() -> f.builder(Duration.ofSeconds(30)).releaseLinger(Duration.ofSeconds(30)).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shorter than");
            f.open(f.builder(Duration.ofSeconds(30)).watchdog(false).releaseLinger(Duration.ZERO)).close();
        }
    }
}
