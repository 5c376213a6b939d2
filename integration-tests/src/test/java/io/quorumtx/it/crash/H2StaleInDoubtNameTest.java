package io.quorumtx.it.crash;

import java.nio.charset.Charset;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * H2 2.4.240 outside QuorumTX, the root cause of the mixed outcomes {@link UnrecoveredRestartsTest}
 * and {@link RandomCrashLoopTest} find: once a recovered in-doubt transaction is committed or
 * rolled back by name from another session, a later transaction that reuses its id, is never
 * prepared, and dies with the process comes back after restart as an in-doubt transaction under
 * the OLD name (also when the database was closed cleanly after the resolution, checked by
 * hand). {@code COMMIT TRANSACTION <old name>} then commits the half-done work. A
 * recovery that holds a logged COMMIT for the old Xid (its other branches still unfinished) thus
 * commits a transaction that never reached prepare, in one database only. When the old Xid is
 * finished (END written) recovery rolls the impostor back, which is right by luck.
 *
 * <p>Disabled while H2 behaves so; enable to check an H2 upgrade. QuorumTX guards against it (see the
 * {@code @Disabled} reason), which {@link UnrecoveredRestartsTest} checks end to end.
 */
@Disabled("Tests H2 alone and documents an H2 2.4.240 bug (a reused transaction id inherits a resolved in-doubt"
        + " transaction's name; see class doc). QuorumTX guards against it: io.quorumtx.tm.recovery.Recovery#impostor"
        + " (BRANCH_DONE records, forced END) and the enlistment gate io.quorumtx.tm.internal.RecoveryManager#awaitRecovered")
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class H2StaleInDoubtNameTest {

    @ParameterizedTest(name = "{0} the recovered A1, then a new unprepared transaction dies")
    @ValueSource(strings = {"COMMIT", "ROLLBACK"})
    void anUnpreparedTransactionIsNeverListedInDoubtAfterRestart(String resolution, @TempDir Path dir)
            throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("db").toAbsolutePath() + ";WRITE_DELAY=0";
        halt(url, "prepare");
        halt(url, "reuse", resolution);

        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
            List<String> inDoubt = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT TRANSACTION_NAME FROM INFORMATION_SCHEMA.IN_DOUBT")) {
                while (rs.next()) {
                    inDoubt.add(rs.getString(1));
                }
            }
            // X1 was never prepared: it must be rolled back at restart, and A1 was resolved already.
            assertThat(inDoubt).as("in-doubt transactions after restart").isEmpty();
        }
    }

    private static void halt(String url, String... step) throws Exception {
        List<String> args = new ArrayList<>(List.of(url));
        args.addAll(List.of(step));
        Process p = new ProcessBuilder(Jvm.command(H2StaleInDoubtChild.class.getName(), args))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), Charset.defaultCharset()); // the child's encoding
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child finished").isTrue();
        assertThat(out).as("child output").contains("HALT");
    }
}
