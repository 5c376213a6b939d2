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
