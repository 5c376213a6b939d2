package io.quorumtx.it.locks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.h2.tools.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.Poll;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.lock.DatabaseLockService;
import io.quorumtx.lock.LockHandle;
import io.quorumtx.lock.LockInfo;

/**
 * Database locks across separate JVM processes, on H2 in server mode, PostgreSQL and MariaDB:
 * three processes incrementing a shared counter under the lock never lose an update; a holder
 * killed with SIGKILL loses the lock when its lease ends and the next grant has a higher token;
 * a holder whose JVM runs 14 hours ahead in its time zone sees the same leases.
 *
 * <p>Leases are long enough for a loaded machine: the holder's watchdog renews a 6-s lease every
 * 2 s, so it may run 4 s late; the test waits by the database's clock, not by its own sleeps.
 *
 * <p>The counter test can fail: run it with {@code -DargLine=-Dlocktest.withoutLock=true} and the
 * children increment without the lock; it then loses about half of the 120 updates.
 */
class MultiProcessLockTest {
    enum Backend { H2_SERVER, POSTGRESQL, MARIADB }

    @TempDir
    Path dir;

    private Server h2;
    private String url;
    private String user;
    private String dialect;
    private String table;
    private HikariDataSource pool;
    private final List<Process> children = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : children) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        if (pool != null) {
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + table);
                s.execute("DROP TABLE IF EXISTS " + table + "_counter");
            }
            pool.close();
        }
        if (h2 != null) {
            h2.stop();
        }
    }

    private void open(Backend backend) throws Exception {
        table = "mlocks_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        switch (backend) {
            case H2_SERVER -> {
                h2 = Server.createTcpServer("-tcpPort", "0", "-ifNotExists", "-baseDir", dir.toString()).start();
                url = "jdbc:h2:tcp://127.0.0.1:" + h2.getPort() + "/locks;WRITE_DELAY=0;LOCK_TIMEOUT=10000";
                user = "sa";
                dialect = "h2";
            }
            case POSTGRESQL -> {
                ExternalDatabases.Server pg = ExternalDatabases.postgresql();
                url = pg.url(ExternalDatabases.DATABASE_A);
                user = pg.admin().user();
                dialect = "postgresql";
            }
            default -> {
                ExternalDatabases.Server maria = ExternalDatabases.mariadb();
                url = maria.url(ExternalDatabases.DATABASE_A);
                user = maria.admin().user();
                dialect = "mysql";
            }
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setMaximumPoolSize(4);
        pool = new HikariDataSource(config);
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + "_counter (id INT PRIMARY KEY, val BIGINT NOT NULL)");
            s.execute("INSERT INTO " + table + "_counter VALUES (1, 0)");
        }
    }

    private DatabaseLockService parentService() {
        Dialect d = switch (dialect) {
            case "h2" -> Dialect.h2();
            case "postgresql" -> Dialect.postgresql();
            default -> Dialect.mysql();
        };
        return DatabaseLockService.builder(pool, d).table(table).backoff(Duration.ofMillis(5), Duration.ofMillis(100))
                .build();
    }

    private Process child(Path out, String... extra) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
        for (String e : extra) {
            if (e.startsWith("-D")) {
                command.add(e);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), LockChild.class.getName(), "url=" + url,
                "user=" + user, "dialect=" + dialect, "table=" + table, "lock=shared"));
        for (String e : extra) {
            if (!e.startsWith("-D")) {
                command.add(e);
            }
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        children.add(p);
        return p;
    }

    private static LockInfo lock(DatabaseLockService service, String name) {
        return service.list().stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow();
    }

    private static String output(Path out) {
        try {
            return Files.readString(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    @SuppressWarnings("try") // the parent service is opened to create the table and kept for the test's lifetime
    void threeProcessesIncrementingUnderTheLockNeverLoseAnUpdate(Backend backend) throws Exception {
        open(backend);
        try (DatabaseLockService ignored = parentService()) { // creates the table before the children race
            List<Path> outs = new ArrayList<>();
            Path go = dir.resolve("go");
            for (int i = 0; i < 3; i++) {
                Path out = dir.resolve("counter-" + i + ".out");
                outs.add(out);
                child(out, "mode=counter", "increments=40", "go=" + go, "-Dlocktest.withoutLock=" + Boolean.getBoolean("locktest.withoutLock"));
            }
            Poll.ignoringExceptions("all three processes are ready", Duration.ofSeconds(60),
                    () -> outs.stream().allMatch(o -> output(o).contains("READY")));
            Files.createFile(go); // all three start incrementing together
            for (int i = 0; i < 3; i++) {
                assertThat(children.get(i).waitFor(180, TimeUnit.SECONDS)).as("child %d finishes", i).isTrue();
                assertThat(children.get(i).exitValue()).as("child %d: %s", i, output(outs.get(i))).isZero();
                assertThat(output(outs.get(i))).contains("DONE");
            }
        }
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT val FROM " + table + "_counter WHERE id = 1")) {
            rs.next();
            assertThat(rs.getLong(1)).as("increments by three processes under the lock").isEqualTo(120);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aHolderKilledWithSigkillLosesTheLockAfterItsLeaseAndTheNextTokenIsHigher(Backend backend) throws Exception {
        open(backend);
        // The holder's JVM runs 14 hours ahead in its time zone: leases are the database's, so nothing changes.
        Path out = dir.resolve("holder.out");
        Duration lease = Duration.ofSeconds(6);
        try (DatabaseLockService parent = parentService()) {
            Process holder = child(out, "-Duser.timezone=Pacific/Kiritimati", "mode=hold", "lease=" + lease.toMillis());
            Poll.ignoringExceptions("the holder holds the lock", Duration.ofSeconds(60), () -> output(out).contains("HELD "));
            long token = Long.parseLong(output(out).lines().filter(l -> l.startsWith("HELD ")).findFirst().orElseThrow()
                    .substring(5).trim());
            // Renewed by the holder's watchdog: still held after more than one lease length, by the database's clock.
            Instant firstEnd = lock(parent, "shared").leaseUntil().orElseThrow();
            Poll.ignoringExceptions("a lease length passes by the database's clock", Duration.ofSeconds(60),
                    () -> lock(parent, "shared").databaseNow().isAfter(firstEnd));
            LockInfo info = lock(parent, "shared");
            assertThat(info.held()).as("held while its holder lives").isTrue();
            assertThat(info.token()).as("by the same grant").isEqualTo(token);
            assertThat(parent.tryAcquire("shared", Duration.ZERO)).as("held while its holder lives").isEmpty();
            assertThat(Duration.between(info.databaseNow(), info.leaseUntil().orElseThrow()))
                    .as("lease left by the database's clock despite the holder's time zone")
                    .isBetween(Duration.ZERO, lease.plusMillis(1));

            holder.destroyForcibly(); // kill -9
            assertThat(holder.waitFor(10, TimeUnit.SECONDS)).isTrue();
            Instant deadEnd = lock(parent, "shared").leaseUntil().orElseThrow();
            Optional<LockHandle> next = parent.tryAcquire("shared", lease.plusSeconds(60));
            assertThat(next).as("granted once the dead holder's lease ended").isPresent();
            assertThat(next.get().token()).isGreaterThan(token);
            // The grant's lease is the default from the database's now at the grant (kept to the millisecond).
            Instant grantedAt = lock(parent, "shared").leaseUntil().orElseThrow().minus(DatabaseLockService.DEFAULT_LEASE);
            assertThat(grantedAt).as("granted by the database only after the dead holder's lease had run out")
                    .isAfterOrEqualTo(deadEnd.minusMillis(1));
            next.get().close();
        }
    }
}
