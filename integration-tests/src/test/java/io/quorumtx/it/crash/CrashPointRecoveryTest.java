package io.quorumtx.it.crash;

import static io.quorumtx.it.crash.Wrapping.DIALECT;
import static io.quorumtx.it.crash.Wrapping.XA;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * A real JVM moving money between H2 file databases dies at each named point of the commit path
 * (halted by crash injection), or is killed with SIGKILL mid-run; then a restarted manager or the
 * recovery tool finishes its transactions. Afterwards nothing is in doubt, the money is all there,
 * every acknowledged transfer is in every database, and the transfer caught in the crash is
 * committed everywhere or nowhere, as its crash point demands.
 *
 * <p>Each point runs with both recovery paths; the wrapping styles (H2's XADataSource, or a
 * HikariCP pool plus the H2 dialect) and the number of databases vary across the cases, so each
 * style meets each point.
 */
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class CrashPointRecoveryTest {

    static Stream<Arguments> injectedCrashes() {
        return Stream.of(
                // point, the crashed transfer's fate, wrappings (and so the number of databases)
                Arguments.of("AFTER_SOME_PREPARED", CrashRun.Expected.ROLLED_BACK, List.of(XA, DIALECT, XA)),
                Arguments.of("AFTER_ALL_PREPARED", CrashRun.Expected.ROLLED_BACK, List.of(DIALECT, DIALECT)),
                Arguments.of("AFTER_COMMIT_RECORD", CrashRun.Expected.COMMITTED, List.of(XA, XA)),
                Arguments.of("BETWEEN_PHASE2_COMMITS", CrashRun.Expected.COMMITTED, List.of(DIALECT, XA, DIALECT)),
                Arguments.of("LOG_APPEND_TORN", CrashRun.Expected.ROLLED_BACK, List.of(XA, DIALECT)))
                .flatMap(a -> Stream.of(Recoverer.NEW_MANAGER, Recoverer.TOOL).map(r -> Arguments.of(
                        a.get()[0], a.get()[1], r, r == Recoverer.TOOL ? mirrored(a.get()[2]) : a.get()[2])));
    }

    /** The tool's run of a point uses the other style on each database, so each style meets each point. */
    @SuppressWarnings("unchecked")
    private static List<Wrapping> mirrored(Object wrappings) {
        return ((List<Wrapping>) wrappings).stream().map(w -> w == XA ? DIALECT : XA).toList();
    }

    @ParameterizedTest(name = "halt at {0}: crashed transfer {1} everywhere after recovery by {2}, databases {3}")
    @MethodSource("injectedCrashes")
    void haltInsideCommitThenRecoveryFinishesEveryTransactionTheSameWayInEveryDatabase(String point,
            CrashRun.Expected expected, Recoverer recoverer, List<Wrapping> wrappings, @TempDir Path dir)
            throws Exception {
        BankFiles.create(dir, wrappings.size());
        // Two threads, the third time the point is reached: other transactions are in flight too.
        ChildSpec spec = new ChildSpec(dir, "r1", wrappings, point, 3, 2, 10_000);

        CrashRun.Crash crash = CrashRun.haltAtInjectionPoint(spec, expected);
        String report = recoverer.recover(dir, Backend.allH2(wrappings.size()), wrappings);

        CrashRun.verify(dir, wrappings.size(), crash, crash.acknowledged(), report);
    }

    static Stream<Arguments> kills() {
        return Stream.of(
                Arguments.of(Recoverer.NEW_MANAGER, List.of(XA, DIALECT, XA)),
                Arguments.of(Recoverer.TOOL, List.of(DIALECT, XA)),
                Arguments.of(Recoverer.BACKGROUND, List.of(DIALECT, DIALECT)));
    }

    @ParameterizedTest(name = "SIGKILL mid-run, recovered by {0}, databases {1}")
    @MethodSource("kills")
    void sigkillDuringTransfersThenRecoveryLosesNoAcknowledgedTransferAndLeavesNoneHalfDone(Recoverer recoverer,
            List<Wrapping> wrappings, @TempDir Path dir) throws Exception {
        BankFiles.create(dir, wrappings.size());
        ChildSpec spec = new ChildSpec(dir, "k1", wrappings, ChildSpec.NO_INJECTED_CRASH, 0, 3, 1_000_000);

        CrashRun.Crash crash = CrashRun.killAfter(spec, 40);
        String report = recoverer.recover(dir, Backend.allH2(wrappings.size()), wrappings);

        CrashRun.verify(dir, wrappings.size(), crash, crash.acknowledged(), report);
    }
}
