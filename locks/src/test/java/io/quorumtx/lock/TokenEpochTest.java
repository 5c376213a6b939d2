package io.quorumtx.lock;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 16, finding 1: tokens never go backwards, not even when a lock's row is new — the table
 * recreated, or the name placed on another database by a changed shard list. Before the fix a new
 * row started at token 1 again (both tests failed with a token of 1 against 3 or more before).
 */
class TokenEpochTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void aRecreatedTableGrantsHigherTokensThanTheDroppedOne(LockBackend backend) throws Exception {
        try (LockFixture f = new LockFixture(backend, dir)) {
            long last = 0;
            try (DatabaseLockService s = f.builder(Duration.ofSeconds(30)).build()) {
                for (int i = 0; i < 3; i++) {
                    try (LockHandle lock = s.acquire("job")) {
                        assertThat(lock.token()).isGreaterThan(last);
                        last = lock.token();
                    }
                }
            }
            LockBackend.drop(f.pool, f.table);
            DatabaseLockService again = f.open(f.builder(Duration.ofSeconds(30))); // creates the table anew
            try (LockHandle lock = again.acquire("job")) {
                assertThat(lock.token()).as("first grant in the recreated table").isGreaterThan(last);
            }
        }
    }

    @Test
    void aNameMovedToAnAddedDatabaseGetsAHigherTokenThere() throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        try (HikariDataSource a = LockBackend.H2.pool(dir.resolve("a"));
             HikariDataSource b = LockBackend.H2.pool(dir.resolve("b"))) {
            HashRing before = new HashRing(List.of("locks-a"), ShardedLockService.DEFAULT_VIRTUAL_NODES);
            HashRing after = new HashRing(List.of("locks-a", "locks-b"), ShardedLockService.DEFAULT_VIRTUAL_NODES);
            String name = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "job-" + i)
                    .filter(n -> before.shardOf(n).equals("locks-a") && after.shardOf(n).equals("locks-b"))
                    .findFirst().orElseThrow();
            long last = 0;
            try (ShardedLockService one = new ShardedLockService(Map.of("locks-a", service(a)))) {
                for (int i = 0; i < 3; i++) {
                    try (LockHandle lock = one.acquire(name)) {
                        last = lock.token();
                    }
                }
            }
            Map<String, DatabaseLockService> two = new LinkedHashMap<>();
            two.put("locks-a", service(a));
            two.put("locks-b", service(b));
            try (ShardedLockService grown = new ShardedLockService(two)) {
                assertThat(grown.shardOf(name)).isEqualTo("locks-b");
                try (LockHandle lock = grown.acquire(name)) {
                    assertThat(lock.token()).as("first grant on the added database").isGreaterThan(last);
                }
            }
        }
    }

    private static DatabaseLockService service(HikariDataSource pool) {
        return DatabaseLockService.builder(pool, LockBackend.H2.dialect()).build();
    }
}
