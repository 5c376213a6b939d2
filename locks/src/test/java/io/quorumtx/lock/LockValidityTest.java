package io.quorumtx.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 16, finding 2: a holder knows until when its lease is certainly valid (by a monotonic
 * clock, from the send time of the granting or renewing statement), and is told before that
 * moment when renewals did not succeed. The clock is a {@link FakeTicker} the test moves, and the
 * watchdog is run by hand, except in the one test of the service's own threads, which allows
 * seconds of margin. (These tests use API the issue asked for: before the fix they did not compile.)
 */
class LockValidityTest {
    private static final Duration LEASE = Duration.ofSeconds(60);
    private static final Duration CERTAIN = LEASE.minus(LEASE.dividedBy(100));

    @TempDir
    Path dir;

    @Test
    void certainValidityRunsFromTheSendTimeOfTheGrantAndOfEachRenewal() throws Exception {
        FakeTicker ticker = new FakeTicker();
        try (LockFixture f = new LockFixture(LockBackend.H2, dir)) {
            DatabaseLockService s = f.open(f.builder(LEASE).watchdog(new ManualWatchdog(ticker)).ticker(ticker));
            long t0 = ticker.nanoTime();
            LockHandle lock = s.acquire("job");
            assertThat(lock.validUntilNanos()).isEqualTo(t0 + CERTAIN.toNanos());
            ticker.advance(Duration.ofSeconds(20));
            lock.renew();
            long renewedAt = ticker.nanoTime();
            assertThat(lock.validUntilNanos()).isEqualTo(renewedAt + CERTAIN.toNanos());
            ticker.advance(CERTAIN.minusMillis(1));
            assertThat(lock.isHeld()).isTrue();
            assertThat(lock.token()).isPositive();
            ticker.advance(Duration.ofMillis(1)); // the certain validity has passed
            assertThat(lock.isHeld()).isFalse();
            assertThatThrownBy(lock::token).isInstanceOf(LockLostException.class)
                    .hasMessageContaining("certain validity passed");
        }
    }

    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void aHolderWhoseRenewalsDoNotSucceedIsToldBeforeItsLeaseCanHaveEnded(LockBackend backend) throws Exception {
        FakeTicker ticker = new FakeTicker();
        List<LockLoss> losses = new CopyOnWriteArrayList<>();
        ManualWatchdog watchdog = new ManualWatchdog(ticker);
        try (LockFixture f = new LockFixture(backend, dir)) {
            DatabaseLockService s = f.open(f.builder(LEASE).watchdog(watchdog).ticker(ticker)
                    .listener(new LockListener() {
                        @Override
                        public void onLost(LockLoss loss) {
                            losses.add(loss);
                        }
                    }));
            long t0 = ticker.nanoTime();
            LockHandle lock = s.acquire("job");
            long token = lock.token();
            // Renewals are due at 20 s and 40 s; they hang (never run). At 49 s nothing is said yet.
            ticker.advance(Duration.ofSeconds(49));
            watchdog.runDue();
            assertThat(losses).isEmpty();
            assertThat(lock.token()).isEqualTo(token);
            // A sixth of the lease before the certain validity ends (59.4 s - 10 s), the holder is told.
            ticker.advance(Duration.ofMillis(500));
            watchdog.runDue();
            assertThat(losses).hasSize(1);
            LockLoss loss = losses.get(0);
            assertThat(loss.name()).isEqualTo("job");
            assertThat(loss.token()).isEqualTo(token);
            assertThat(loss.reason()).contains("could not be renewed in time");
            assertThat(Duration.ofNanos(loss.validForNanos())).as("told while the lease certainly lasts")
                    .isGreaterThan(Duration.ofSeconds(9));
            assertThat(t0 + CERTAIN.toNanos() - ticker.nanoTime()).isEqualTo(loss.validForNanos());
            assertThat(f.lockInfo(s, "job").held()).as("the database still shows the lease").isTrue();
            assertThat(lock.isHeld()).isFalse();
            assertThatThrownBy(lock::token).isInstanceOf(LockLostException.class);
            watchdog.runDue();
            assertThat(losses).as("told once").hasSize(1);
        }
    }

    /**
     * The service's own threads: a renewal stuck in the database (the row locked by another
     * transaction) does not delay the loss notice, which comes while the lease is still certainly
     * valid. The lease is 36 s: the notice is due at 29.6 s, 6 s before the certain end, so the
     * timer thread may be seconds late on a loaded machine and the assertion still holds. Because
     * that takes half a minute per database, {@code verify} runs it on H2 only; the notice comes
     * from the service's own timer, the same on every database, and
     * {@code -Dquorumtx.locks.stuckRenewalOnEveryDatabase=true} runs it on PostgreSQL and MariaDB too.
     */
    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void aRenewalStuckInTheDatabaseDoesNotDelayTheLossNotice(LockBackend backend) throws Exception {
        assumeTrue(backend == LockBackend.H2 || Boolean.getBoolean("quorumtx.locks.stuckRenewalOnEveryDatabase"),
                "half a minute per database: run with -Dquorumtx.locks.stuckRenewalOnEveryDatabase=true");
        Duration lease = Duration.ofSeconds(36);
        List<LockLoss> losses = new CopyOnWriteArrayList<>();
        try (LockFixture f = new LockFixture(backend, dir)) {
            DatabaseLockService s = f.open(f.builder(lease).listener(new LockListener() {
                @Override
                public void onLost(LockLoss loss) {
                    losses.add(loss);
                }
            }));
            LockHandle lock = s.acquire("job");
            try (Connection blocker = f.pool.getConnection()) {
                blocker.setAutoCommit(false);
                try (PreparedStatement ps = blocker.prepareStatement("SELECT token FROM " + f.table
                        + " WHERE name = ? FOR UPDATE")) {
                    ps.setString(1, "job");
                    ps.executeQuery().close();
                }
                await("the loss notice").atMost(Duration.ofSeconds(90)).until(() -> !losses.isEmpty());
                blocker.rollback();
            }
            assertThat(losses.get(0).validForNanos()).as("told before the certain validity ended").isPositive();
            assertThat(losses.get(0).reason()).contains("could not be renewed in time");
            assertThatThrownBy(lock::token).isInstanceOf(LockLostException.class);
        }
    }
}
