package io.quorumtx.lock;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/** The consistent-hashing ring of {@link ShardedLockService}: virtual nodes per shard, SHA-256 positions. */
final class HashRing {
    private final TreeMap<Long, String> ring = new TreeMap<>();

    HashRing(Collection<String> shards, int virtualNodes) {
        for (String shard : shards) {
            for (int i = 0; i < virtualNodes; i++) {
                String previous = ring.put(hash(shard + "#" + i), shard);
                if (previous != null && !previous.equals(shard)) {
                    throw new IllegalStateException("hash collision between shards " + previous + " and " + shard);
                }
            }
        }
    }

    /** The shard owning the first point at or after the name's hash (wrapping around). */
    String shardOf(String name) {
        Map.Entry<Long, String> e = ring.ceilingEntry(hash(name));
        return (e != null ? e : ring.firstEntry()).getValue();
    }

    private static long hash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (d[i] & 0xff);
            }
            return v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
