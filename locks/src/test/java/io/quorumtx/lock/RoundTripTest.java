package io.quorumtx.lock;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 16, finding 5: a grant is one statement (one round trip) that also returns the token, and
 * so is a release, the PostgreSQL announcement included. Counted on a DataSource that counts the
 * statements executed through it. Before the fix a grant was two statements (UPDATE, then SELECT
 * of the token) everywhere, and a release on PostgreSQL two (UPDATE, then pg_notify).
 */
class RoundTripTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(LockBackend.class)
    void aGrantAndAReleaseAreOneStatementEach(LockBackend backend) throws Exception {
        try (LockFixture f = new LockFixture(backend, dir)) {
            AtomicInteger executed = new AtomicInteger();
            DataSource counting = counting(f.pool, executed);
            DatabaseLockService s = f.open(DatabaseLockService.builder(counting, backend.dialect()).table(f.table)
                    .watchdog(false));
            s.acquire("job").close(); // the row is inserted the first time
            long previous;
            executed.set(0);
            try (LockHandle lock = s.acquire("job")) {
                assertThat(executed.get()).as("statements of a grant").isEqualTo(1);
                previous = lock.token();
                executed.set(0);
            }
            assertThat(executed.get()).as("statements of a release").isEqualTo(1);
            try (LockHandle lock = s.acquire("job")) {
                assertThat(lock.token()).as("the token the grant returned").isGreaterThan(previous)
                        .isEqualTo(f.lockInfo(s, "job").token());
            }
        }
    }

    /**
     * The PostgreSQL release commits without waiting for the WAL flush, for its own transaction
     * only: the pooled connection it ran on is back to durable commits for the application.
     */
    @Test
    void theAsynchronousPostgresqlReleaseLeavesItsConnectionDurable() throws Exception {
        try (LockFixture f = new LockFixture(LockBackend.POSTGRESQL, dir);
             HikariDataSource one = LockBackend.POSTGRESQL.pool(dir, 1, Duration.ofSeconds(30))) {
            DatabaseLockService s = f.open(DatabaseLockService.builder(one, Dialect.postgresql()).table(f.table)
                    .watchdog(false));
            s.acquire("job").close();
            try (Connection c = one.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SHOW synchronous_commit")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).as("synchronous_commit of the pool's only connection").isEqualTo("on");
            }
            assertThat(f.lockInfo(s, "job").owner()).as("released").isEmpty();
        }
    }

    static DataSource counting(DataSource real, AtomicInteger executed) {
        return (DataSource) Proxy.newProxyInstance(RoundTripTest.class.getClassLoader(), new Class<?>[] {DataSource.class},
                forward(real, (method, result) -> method.equals("getConnection")
                        ? Proxy.newProxyInstance(RoundTripTest.class.getClassLoader(), new Class<?>[] {Connection.class},
                        forward(result, (m, r) -> m.startsWith("prepareStatement") || m.equals("createStatement")
                                ? Proxy.newProxyInstance(RoundTripTest.class.getClassLoader(),
                                new Class<?>[] {m.equals("createStatement") ? Statement.class : PreparedStatement.class},
                                forward(r, (sm, sr) -> {
                                    if (sm.startsWith("execute")) {
                                        executed.incrementAndGet();
                                    }
                                    return sr;
                                })) : r)) : result));
    }

    private interface Wrap {
        Object wrap(String method, Object result);
    }

    private static InvocationHandler forward(Object target, Wrap wrap) {
        return (proxy, method, args) -> {
            try {
                return wrap.wrap(method.getName(), method.invoke(target, args));
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
    }
}
