package io.quorumtx.it.locks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.quorumtx.it.support.ChildArgs;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.lock.DatabaseLockService;
import io.quorumtx.lock.LockHandle;

/**
 * A process using a database lock. Arguments {@code key=value}: url, user, dialect, table, lock,
 * mode, and for mode {@code counter} the number of increments, for mode {@code hold} the lease in
 * milliseconds. Counter: increments a shared counter row (read, then write, in separate
 * statements: a lost update shows if two processes ever hold the lock at once) once the file
 * {@code go} exists, so that every process runs at the same time, printing {@code READY} before
 * and {@code DONE} after. Hold: takes the lock with the watchdog renewing it, prints {@code HELD <token>} and
 * waits to be killed. Lines are flushed at once.
 */
public final class LockChild {
    private LockChild() {
    }

    @SuppressWarnings("try") // the lock is held across the read-increment-write; the body does not reference the handle
    public static void main(String[] args) throws Exception {
        Map<String, String> a = ChildArgs.parse(args);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(a.get("url"));
        config.setUsername(a.get("user"));
        config.setMaximumPoolSize(4);
        Dialect dialect = switch (a.get("dialect")) {
            case "h2" -> Dialect.h2();
            case "postgresql" -> Dialect.postgresql();
            default -> Dialect.mysql();
        };
        String lock = a.get("lock");
        try (HikariDataSource pool = new HikariDataSource(config);
             DatabaseLockService locks = DatabaseLockService.builder(pool, dialect).table(a.get("table"))
                     .defaultLease(Duration.ofMillis(Long.parseLong(a.getOrDefault("lease", "10000"))))
                     .backoff(Duration.ofMillis(2), Duration.ofMillis(50)).build()) {
            if (a.get("mode").equals("hold")) {
                LockHandle held = locks.acquire(lock);
                emit("HELD " + held.token());
                Thread.currentThread().join(); // the watchdog renews the lease until the parent kills us
            }
            int increments = Integer.parseInt(a.get("increments"));
            String counter = a.get("table") + "_counter";
            emit("READY");
            java.nio.file.Path go = java.nio.file.Path.of(a.get("go"));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!java.nio.file.Files.exists(go) && System.nanoTime() < deadline) {
                Thread.sleep(5); // every process starts incrementing at the same moment: polling a file, with a deadline
            }
            boolean unlocked = Boolean.getBoolean("locktest.withoutLock"); // only to see the test fail without the lock
            for (int i = 0; i < increments; i++) {
                try (LockHandle held = unlocked ? null : locks.acquire(lock); Connection c = pool.getConnection()) {
                    long value;
                    try (PreparedStatement ps = c.prepareStatement("SELECT val FROM " + counter + " WHERE id = 1");
                         ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        value = rs.getLong(1);
                    }
                    try (PreparedStatement ps = c.prepareStatement("UPDATE " + counter + " SET val = ? WHERE id = 1")) {
                        ps.setLong(1, value + 1);
                        ps.executeUpdate();
                    }
                }
            }
            emit("DONE");
        }
        System.exit(0);
    }

    private static void emit(String line) {
        System.out.println(line);
        System.out.flush();
    }

}
