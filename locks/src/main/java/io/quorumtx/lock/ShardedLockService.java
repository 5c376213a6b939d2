package io.quorumtx.lock;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Locks spread over several lock databases by consistent hashing of the lock name: each database
 * has {@code virtualNodes} points on a ring (SHA-256 of {@code "<shard>#<i>"}), and a name belongs
 * to the first point at or after its own hash. Adding a database moves only the names that now
 * fall to its points, about 1/N of them. Every process must list the same shards under the same
 * names (the names, not the order, decide the ring).
 *
 * <p><b>Changing the shard list.</b> Two processes with different lists can each be granted the
 * same name, on different databases, at the same time: nothing can fence that. So change the list
 * only like this: stop (or drain) every process that uses these locks, wait until the longest
 * lease of a grant made under the old list has certainly ended, then start the processes with the
 * new list. Tokens stay monotonic across the move without more care: a moved name's first token on
 * its new database comes from that database's clock ({@link LockSql}), above every token the old
 * database gave before — provided the two databases' clocks differ by less than the pause.
 */
public final class ShardedLockService implements AutoCloseable {
    /** Points per database on the ring; more points, a more even spread. */
    public static final int DEFAULT_VIRTUAL_NODES = 160;

    private final Map<String, DatabaseLockService> shards;
    private final HashRing ring;

    /** {@code shards}: a stable name per lock database, and its service. */
    public ShardedLockService(Map<String, DatabaseLockService> shards) {
        this(shards, DEFAULT_VIRTUAL_NODES);
    }

    public ShardedLockService(Map<String, DatabaseLockService> shards, int virtualNodes) {
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("A sharded lock service needs at least one lock database");
        }
        if (virtualNodes < 1 || virtualNodes > 10_000) {
            throw new IllegalArgumentException("virtualNodes must be 1..10000, was " + virtualNodes);
        }
        this.shards = new LinkedHashMap<>(shards);
        this.ring = new HashRing(shards.keySet(), virtualNodes);
    }

    /** The name of the database that keeps lock {@code name}. */
    public String shardOf(String name) {
        return ring.shardOf(name);
    }

    public LockHandle acquire(String name) throws InterruptedException {
        return shards.get(shardOf(name)).acquire(name);
    }

    public LockHandle acquire(String name, Duration lease) throws InterruptedException {
        return shards.get(shardOf(name)).acquire(name, lease);
    }

    public Optional<LockHandle> tryAcquire(String name, Duration wait) throws InterruptedException {
        return shards.get(shardOf(name)).tryAcquire(name, wait);
    }

    @Override
    public void close() {
        shards.values().forEach(DatabaseLockService::close);
    }
}
