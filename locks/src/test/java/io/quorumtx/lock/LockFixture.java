package io.quorumtx.lock;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One test's lock database and services: a pool on a backend, a fresh table, services built on
 * it and closed (table dropped) at the end; and time passing by the database's clock without
 * waiting for it ({@link #setLeaseEnd}).
 */
final class LockFixture implements AutoCloseable {
    final LockBackend backend;
    final HikariDataSource pool;
    final String table = LockBackend.freshTable();
    private final List<AutoCloseable> open = new ArrayList<>();

    LockFixture(LockBackend backend, Path dir) {
        this.backend = backend;
        this.pool = backend.pool(dir);
    }

    DatabaseLockService.Builder builder(Duration lease) {
        return DatabaseLockService.builder(pool, backend.dialect()).table(table).defaultLease(lease)
                .backoff(Duration.ofMillis(2), Duration.ofMillis(50));
    }

    DatabaseLockService open(DatabaseLockService.Builder builder) {
        DatabaseLockService s = builder.build();
        open.add(s);
        return s;
    }

    <T extends AutoCloseable> T closeAtEnd(T resource) {
        open.add(resource);
        return resource;
    }

    LockInfo lockInfo(DatabaseLockService s, String name) {
        return s.list().stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow();
    }

    /** Sets when {@code name}'s lease ends to {@code end} applied to the database's now. */
    void setLeaseEnd(DatabaseLockService s, String name, UnaryOperator<Instant> end) throws SQLException {
        Instant databaseNow = lockInfo(s, name).databaseNow();
        try (Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET lease_until = ? WHERE name = ?")) {
            ps.setTimestamp(1, Timestamp.from(end.apply(databaseNow)));
            ps.setString(2, name);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    @Override
    public void close() throws SQLException {
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (RuntimeException e) {
                // a lost lock's close throws; the test already judged it
            } catch (Exception e) {
                throw new IllegalStateException("could not close " + open.get(i), e);
            }
        }
        LockBackend.drop(pool, table);
        pool.close();
    }
}
