package io.quorumtx.it.crash;

import static io.quorumtx.it.crash.Wrapping.DIALECT;
import static io.quorumtx.it.crash.Wrapping.XA;

import io.quorumtx.tm.log.LogInspection;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Crash after crash with no recovery in between: each restarted JVM must finish its predecessors'
 * logged commits itself while it runs new transfers, and dies again inside phase 2 before it is
 * done. Logged decisions pile up across several incarnations' log segments; none may be lost, and
 * no transaction without a logged decision may end up committed anywhere.
 *
 * <p>This meets the H2 2.4.240 bug {@link H2StaleInDoubtNameTest} shows: after recovery resolved an
 * in-doubt branch, a new transaction reusing its H2 id comes back from the next crash listed in
 * doubt under the old branch's name. Before QuorumTX guarded against it (about half of the runs),
 * recovery committed that never-prepared work when the old Xid still had a logged COMMIT. Now
 * recovery records each branch it finishes (BRANCH_DONE, forced) and forces its END, rolls back a
 * re-listed finished branch ({@code Recovery#impostor}), and no new transaction enlists a database
 * before its startup recovery pass is done ({@code RecoveryManager#awaitRecovered}).
 * Each round's log is printed to stdout; the directory is kept on failure.
 */
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class UnrecoveredRestartsTest {

    @ParameterizedTest(name = "{0} commit log")
    @EnumSource(CommitLogKind.class)
    void loggedCommitsSurviveRestartsThatCrashAgainBeforeRecoveringThem(CommitLogKind logKind,
            @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        List<List<Wrapping>> styles = List.of(List.of(XA, DIALECT, DIALECT), List.of(XA, XA, DIALECT),
                List.of(DIALECT, XA, XA), List.of(DIALECT, DIALECT, XA));
        BankFiles.create(dir, 3);
        Set<String> acknowledged = new HashSet<>();
        Map<String, String> gtrids = new HashMap<>();
        List<CrashRun.Crash> crashes = new ArrayList<>();
        for (int round = 1; round <= 4; round++) {
            String point = round % 2 == 0 ? "AFTER_COMMIT_RECORD" : "BETWEEN_PHASE2_COMMITS";
            CrashRun.Crash crash = CrashRun.haltAtInjectionPoint(new ChildSpec(dir, "u" + round,
                    styles.get(round - 1), point, 1 + round % 2, 3, 10_000, logKind), CrashRun.Expected.COMMITTED);
            acknowledged.addAll(crash.acknowledged());
            gtrids.putAll(crash.gtrids());
            crashes.add(crash);
            // For whoever debugs a failure: each round's transfers and the log the next JVM finds.
            StringBuilder trace = new StringBuilder("after round " + round + ", halted in " + crash.crashedTransfer()
                    + "; transfers " + crash.gtrids() + "; log:");
            if (logKind == CommitLogKind.LOCAL) {
                LogInspection log = LogInspection.read(BankFiles.logDirectory(dir));
                log.frames().forEach(f -> trace.append("\n   ").append(f.segment().getFileName()).append(" @")
                        .append(f.offset()).append(' ').append(f.type()).append(' ').append(f.gtrid()));
                trace.append("\n   problems ").append(log.problems());
            } else {
                trace.append(" the acceptors' files under ").append(dir.resolve("paxos"));
            }
            System.out.println(trace);
        }
        List<Wrapping> last = styles.get(styles.size() - 1);
        String report = Recoverer.NEW_MANAGER.recover(dir, Backend.allH2(3), last, logKind);
        for (CrashRun.Crash crash : crashes) {
            CrashRun.verify(dir, Backend.allH2(3), crash, acknowledged, report + "\n  directory " + dir, gtrids);
        }
    }
}
