package io.quorumtx.it.crash;

import static io.quorumtx.it.crash.Wrapping.DIALECT;
import static io.quorumtx.it.crash.Wrapping.XA;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The crash tests on one transaction spanning H2, PostgreSQL and MariaDB: each bank transfer
 * touches all three, and the JVM dies at each point of the commit path. Skipped with a message
 * when a server is absent, failed instead when {@code QUORUMTX_REQUIRE_DATABASES=1}.
 */
class MixedDatabaseCrashTest {
    private static final List<Backend> BACKENDS = List.of(Backend.H2, Backend.POSTGRESQL, Backend.MARIADB);

    @TempDir
    Path dir;
    private boolean created;

    @BeforeEach
    void serversAreThere() throws Exception {
        BACKENDS.forEach(Backend::assumeAvailable);
        BankFiles.create(dir, BACKENDS);
        created = true;
    }

    static Stream<Arguments> crashes() {
        return Stream.of(
                Arguments.of("AFTER_SOME_PREPARED", CrashRun.Expected.ROLLED_BACK, Recoverer.NEW_MANAGER,
                        List.of(XA, DIALECT, XA)),
                Arguments.of("AFTER_ALL_PREPARED", CrashRun.Expected.ROLLED_BACK, Recoverer.TOOL,
                        List.of(DIALECT, XA, DIALECT)),
                Arguments.of("AFTER_COMMIT_RECORD", CrashRun.Expected.COMMITTED, Recoverer.TOOL, List.of(XA, XA, XA)),
                Arguments.of("BETWEEN_PHASE2_COMMITS", CrashRun.Expected.COMMITTED, Recoverer.NEW_MANAGER,
                        List.of(DIALECT, DIALECT, DIALECT)),
                Arguments.of("LOG_APPEND_TORN", CrashRun.Expected.ROLLED_BACK, Recoverer.NEW_MANAGER,
                        List.of(DIALECT, XA, XA)));
    }

    @ParameterizedTest(name = "H2 + PostgreSQL + MariaDB, halt at {0}: crashed transfer {1} everywhere after {2}, {3}")
    @MethodSource("crashes")
    void haltInsideAMixedCommitThenRecoveryFinishesItTheSameWayInEveryDatabase(String point,
            CrashRun.Expected expected, Recoverer recoverer, List<Wrapping> wrappings) throws Exception {
        ChildSpec spec = new ChildSpec(dir, "m1", BACKENDS, wrappings, point, 3, 2, 10_000);

        CrashRun.Crash crash = CrashRun.haltAtInjectionPoint(spec, expected);
        String report = recoverer.recover(dir, BACKENDS, wrappings);

        CrashRun.verify(dir, BACKENDS, crash, crash.acknowledged(), report);
    }

    @ParameterizedTest(name = "H2 + PostgreSQL + MariaDB, SIGKILL mid-run, recovered by {0}, {1}")
    @MethodSource("kills")
    void sigkillDuringMixedTransfersThenRecoveryLeavesNoTransferHalfDone(Recoverer recoverer,
            List<Wrapping> wrappings) throws Exception {
        ChildSpec spec = new ChildSpec(dir, "m2", BACKENDS, wrappings, ChildSpec.NO_INJECTED_CRASH, 0, 3, 1_000_000);

        CrashRun.Crash crash = CrashRun.killAfter(spec, 30);
        String report = recoverer.recover(dir, BACKENDS, wrappings);

        CrashRun.verify(dir, BACKENDS, crash, crash.acknowledged(), report);
    }

    static Stream<Arguments> kills() {
        return Stream.of(Arguments.of(Recoverer.TOOL, List.of(XA, DIALECT, DIALECT)));
    }

    /** Drops this test's server databases, unless something is left in doubt there (kept for inspection). */
    @AfterEach
    void dropServerDatabases() throws Exception {
        if (!created || BankFiles.inDoubt(dir, BACKENDS) > 0) {
            return;
        }
        try (Connection c = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres&connectTimeout=3");
                Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + Backend.databaseName(dir, BankFiles.NAMES.get(1)) + " WITH (FORCE)");
        }
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:3306/?user=root&connectTimeout=3000");
                Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + Backend.databaseName(dir, BankFiles.NAMES.get(2)));
        }
    }
}
