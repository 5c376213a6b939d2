package io.quorumtx.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.tm.QuorumTransactionManager;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardingAndTransactionLockTest {

    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("NarrowCalculation") // the integer share names / 3 is intended; the bounds are 80% and 120% of it
    void namesSpreadEvenlyOverTheShardsAndAddingOneMovesAboutAQuarterOnlyToIt() {
        List<String> three = List.of("locks-a", "locks-b", "locks-c");
        HashRing before = new HashRing(three, ShardedLockService.DEFAULT_VIRTUAL_NODES);
        HashRing after = new HashRing(List.of("locks-a", "locks-b", "locks-c", "locks-d"),
                ShardedLockService.DEFAULT_VIRTUAL_NODES);
        int names = 20_000;
        Map<String, Integer> count = new HashMap<>();
        int moved = 0;
        for (int i = 0; i < names; i++) {
            String name = "job-" + i;
            String was = before.shardOf(name);
            count.merge(was, 1, Integer::sum);
            String now = after.shardOf(name);
            if (!now.equals(was)) {
                moved++;
                assertThat(now).as("a moved name moves to the new database only").isEqualTo("locks-d");
            }
        }
        for (String shard : three) {
            assertThat(count.get(shard)).as("names on " + shard).isBetween((int) (names / 3 * 0.8), (int) (names / 3 * 1.2));
        }
        assertThat(moved).as("names moved when a fourth database joins (ideal: a quarter)")
                .isBetween((int) (names * 0.18), (int) (names * 0.32));
    }

    @Test
    void aTransactionScopedLockIsReleasedWhenTheTransactionCompletes() throws Exception {
        try (HikariDataSource pool = LockBackend.H2.pool(dir);
             QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("locks")
                     .logDirectory(dir.resolve("log")).build();
             DatabaseLockService locks = DatabaseLockService.builder(pool, Dialect.h2()).build();
             DatabaseLockService others = DatabaseLockService.builder(pool, Dialect.h2()).build()) {
            TransactionSynchronizationRegistry registry = tm.getTransactionSynchronizationRegistry();
            assertThatThrownBy(() -> locks.acquireForTransaction(registry, "tx-lock"))
                    .hasMessageContaining("no active transaction");

            tm.begin();
            LockHandle lock = locks.acquireForTransaction(registry, "tx-lock");
            assertThat(others.tryAcquire("tx-lock", Duration.ZERO)).as("held during the transaction").isEmpty();
            tm.commit();
            assertThat(lock.isHeld()).isFalse();
            try (LockHandle next = others.tryAcquire("tx-lock", Duration.ofSeconds(5)).orElseThrow()) {
                assertThat(next.token()).isGreaterThan(lock.token());
            }

            tm.begin();
            LockHandle rolledBack = locks.acquireForTransaction(registry, "tx-lock");
            tm.rollback();
            assertThat(rolledBack.isHeld()).as("released on rollback too").isFalse();
        }
    }
}
