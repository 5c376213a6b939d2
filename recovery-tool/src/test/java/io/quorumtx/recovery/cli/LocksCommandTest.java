package io.quorumtx.recovery.cli;

import static io.quorumtx.recovery.testing.CliRun.cli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.lock.DatabaseLockService;
import io.quorumtx.lock.LockHandle;
import io.quorumtx.lock.LockLostException;
import io.quorumtx.recovery.testing.CliRun.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quorumtx locks list} and {@code locks break} against an H2 lock table. */
class LocksCommandTest {
    @TempDir
    Path dir;

    private JdbcDataSource h2() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:file:" + dir.resolve("locks").toAbsolutePath() + ";WRITE_DELAY=0");
        ds.setUser("sa");
        return ds;
    }

    private Path config() throws Exception {
        Path file = dir.resolve("tool.properties");
        Files.write(file, List.of("database.app.url=jdbc:h2:file:" + dir.resolve("locks").toAbsolutePath()
                + ";WRITE_DELAY=0", "database.app.user=sa", "database.app.password.env=APP_PW", "database.app.dialect=h2",
                "database.xa.url=jdbc:h2:mem:x", "database.xa.xa-data-source=org.h2.jdbcx.JdbcDataSource"));
        return file;
    }

    @Test
    void listShowsHolderTokenAndLeaseAndBreakReleasesAHeldLock() throws Exception {
        try (DatabaseLockService app = DatabaseLockService.builder(h2(), Dialect.h2())
                .defaultLease(Duration.ofMinutes(5)).build()) {
            LockHandle held = app.acquire("nightly-report");
            LockHandle free = app.acquire("done-job");
            free.close();
            Path config = config();

            Result list = cli().env("APP_PW", "").run("locks", "list", "--config", config.toString(), "--database", "app");
            assertThat(list.exit()).as(list.toString()).isEqualTo(ExitCodes.OK);
            assertThat(list.out()).contains("Locks in table quorumtx_locks of database app: 2")
                    .containsPattern("nightly-report\\s+HELD\\s+" + java.util.regex.Pattern.quote(app.ownerId())
                            + "\\S*\\s+" + held.token() + "\\s+\\S+ \\(in 2\\d\\d\\.\\d+ s\\)")
                    .containsPattern("done-job\\s+FREE\\s+-\\s+" + free.token());

            Result refused = cli().env("APP_PW", "").run("locks", "break", "nightly-report", "--config", config.toString(),
                    "--database", "app");
            assertThat(refused.exit()).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(refused.err()).contains("without confirmation", "Nothing was changed");
            assertThat(held.isHeld()).isTrue();

            Result declined = cli().env("APP_PW", "").console("no").run("locks", "break", "nightly-report", "--config",
                    config.toString(), "--database", "app");
            assertThat(declined.exit()).isEqualTo(ExitCodes.IN_DOUBT);
            assertThat(declined.prompts().get(0)).contains("is held by " + app.ownerId(), "token " + held.token());
            assertThat(held.isHeld()).isTrue();

            Result broken = cli().env("APP_PW", "").console("yes").run("locks", "break", "nightly-report", "--config",
                    config.toString(), "--database", "app");
            assertThat(broken.exit()).as(broken.toString()).isEqualTo(ExitCodes.OK);
            assertThat(broken.out()).contains("Lock 'nightly-report' released");
            assertThat(held.isHeld()).isFalse();
            assertThatThrownBy(held::close).isInstanceOf(LockLostException.class);
            try (LockHandle next = app.tryAcquire("nightly-report", Duration.ofSeconds(5)).orElseThrow()) {
                assertThat(next.token()).isGreaterThan(held.token());
            }
        }
    }

    @Test
    void aWrongDatabaseLockOrTableIsAClearErrorAndChangesNothing() throws Exception {
        try (DatabaseLockService app = DatabaseLockService.builder(h2(), Dialect.h2()).build()) {
            app.acquire("x").close();
        }
        Path config = config();
        Result noDb = cli().env("APP_PW", "").run("locks", "list", "--config", config.toString(), "--database", "nope");
        assertThat(noDb.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(noDb.err()).contains("No database 'nope'", "[app, xa]");
        Result xa = cli().env("APP_PW", "").run("locks", "list", "--config", config.toString(), "--database", "xa");
        assertThat(xa.err()).contains("has no dialect");
        Result noLock = cli().env("APP_PW", "").run("locks", "break", "ghost", "--yes", "--config", config.toString(), "--database", "app");
        assertThat(noLock.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(noLock.err()).contains("No lock 'ghost'");
        Result noTable = cli().env("APP_PW", "").run("locks", "list", "--config", config.toString(), "--database", "app", "--table",
                "other_locks");
        assertThat(noTable.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(noTable.err()).contains("other_locks cannot be used");
        Result badTable = cli().env("APP_PW", "").run("locks", "list", "--config", config.toString(), "--database", "app", "--table",
                "x;drop");
        assertThat(badTable.err()).contains("is not allowed");
    }
}
