package io.quorumtx.it.crash;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The H2 2.4.240 behaviour of {@link H2StaleInDoubtNameTest} met on purpose, so that it happens on
 * every run (where {@link UnrecoveredRestartsTest} meets it by chance): the first JVM dies right
 * after its COMMIT record, leaving transaction T prepared in both databases; the second one's
 * startup recovery commits T's branches by name (BRANCH_DONE, END), then its one transfer prepares
 * bank-a and the JVM dies before bank-b is prepared ({@link RelistedBranchChild}). H2 then lists
 * bank-b's never-prepared work in doubt under T's old branch name. Recovery must roll it back:
 * committing it (T's decision is COMMIT) would commit that transfer in bank-b alone.
 */
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class RelistedFinishedBranchCrashTest {

    @ParameterizedTest(name = "{0} commit log")
    @EnumSource(CommitLogKind.class)
    void neverPreparedWorkListedUnderAFinishedBranchsNameIsRolledBack(CommitLogKind logKind,
            @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        BankFiles.create(dir, 2);
        CrashRun.Crash first = CrashRun.haltAtInjectionPoint(new ChildSpec(dir, "f1", RelistedBranchChild.WRAPPINGS,
                "AFTER_COMMIT_RECORD", 1, 1, 10_000, logKind), CrashRun.Expected.COMMITTED);
        CrashRun.Crash second = secondCrash(dir, logKind);
        // bank-a holds the second JVM's prepared branch, bank-b its never-prepared work, which H2
        // 2.4.240 lists under the first transaction's old name. Without that this test tests nothing.
        assertThat(second.inDoubtBefore()).as("in-doubt branches after the second crash (1 prepared, 1 listed"
                + " again by H2 under a finished branch's name)%s", second.childOutput()).isEqualTo(2);

        String report = Recoverer.NEW_MANAGER.recover(dir, Backend.allH2(2), RelistedBranchChild.WRAPPINGS, logKind)
                + "\n  directory " + dir;
        Map<String, String> gtrids = new HashMap<>(first.gtrids());
        gtrids.putAll(second.gtrids());
        CrashRun.verify(dir, Backend.allH2(2), first, first.acknowledged(), report, gtrids);
        CrashRun.verify(dir, Backend.allH2(2), second, first.acknowledged(), report, gtrids);
    }

    private static CrashRun.Crash secondCrash(Path dir, CommitLogKind logKind) throws Exception {
        Process p = new ProcessBuilder(Jvm.command(RelistedBranchChild.class.getName(),
                List.of(dir.toAbsolutePath().toString(), logKind.name()))).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(CrashRun.RUN.toSeconds(), TimeUnit.SECONDS)).as("second JVM ended:%n%s", out).isTrue();
        assertThat(p.exitValue()).as("exit status of the second JVM (halted at the injection point):%n%s", out)
                .isEqualTo(TransferChild.CRASH_EXIT);
        Map<String, String> gtrids = new HashMap<>();
        out.lines().filter(l -> l.startsWith("TX ")).map(l -> l.split(" ")).forEach(f -> gtrids.put(f[1], f[2]));
        return new CrashRun.Crash(Set.of(), RelistedBranchChild.TRANSFER, CrashRun.Expected.ROLLED_BACK,
                BankFiles.inDoubt(dir, 2), "\n  second JVM:\n" + out, gtrids);
    }
}
