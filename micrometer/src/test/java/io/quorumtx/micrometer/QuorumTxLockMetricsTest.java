package io.quorumtx.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.lock.DatabaseLockService;
import io.quorumtx.lock.LockHandle;
import io.quorumtx.lock.LockLostException;
import io.quorumtx.testsupport.Poll;
import java.time.Duration;
import java.util.Optional;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Lock grants, waits, timeouts and losses are counted from a real lock table (H2). */
class QuorumTxLockMetricsTest {

    private static JdbcDataSource h2(String name) {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
        return ds;
    }

    private static double count(MeterRegistry registry, String name) {
        return registry.get(name).counter().count();
    }

    @Test
    void grantsWaitsTimeoutsAndLossesAreCounted() throws Exception {
        JdbcDataSource ds = h2("lockmetrics");
        MeterRegistry registry = new SimpleMeterRegistry();
        try (DatabaseLockService first = DatabaseLockService.builder(ds, Dialect.h2()).ownerId("first").watchdog(false)
                .build();
             DatabaseLockService second = DatabaseLockService.builder(ds, Dialect.h2()).ownerId("second")
                     .watchdog(false).build();
             QuorumTxLockMetrics metrics = new QuorumTxLockMetrics(first)) {
            metrics.bindTo(registry);
            new QuorumTxLockMetrics(second).bindTo(registry); // both services count into the same meters

            LockHandle held = first.acquire("report", Duration.ofSeconds(1));
            try (LockHandle again = first.acquire("report")) { // reentrant: not a grant
                assertThat(again.token()).isEqualTo(held.token());
            }
            assertThat(count(registry, QuorumTxLockMetrics.GRANTS)).isEqualTo(1);

            Optional<LockHandle> none = second.tryAcquire("report", Duration.ofMillis(50));
            assertThat(none).isEmpty();
            assertThat(count(registry, QuorumTxLockMetrics.WAITS)).isEqualTo(1);
            assertThat(count(registry, QuorumTxLockMetrics.TIMEOUTS)).isEqualTo(1);

            // The first owner's lease (1 s, no watchdog) ends; the second takes the lock; the first has lost it.
            Poll.until("the second owner gets the lock after the first one's lease ended", Duration.ofSeconds(30),
                    () -> second.tryAcquire("report", Duration.ofMillis(200)).isPresent());
            assertThatThrownBy(held::close).isInstanceOf(LockLostException.class);

            assertThat(count(registry, QuorumTxLockMetrics.LOSSES)).isEqualTo(1);
            assertThat(count(registry, QuorumTxLockMetrics.GRANTS)).isEqualTo(2);
            assertThat(registry.get(QuorumTxLockMetrics.ACQUIRE).timer().count()).isEqualTo(2);
        }
    }
}
