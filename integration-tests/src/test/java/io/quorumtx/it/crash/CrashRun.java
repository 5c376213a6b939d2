package io.quorumtx.it.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.log.LogInspection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One crash of a bank JVM, from fork to verdict: start the child, let it die (at its injection
 * point, or by SIGKILL once it has acknowledged some transfers), recover, then check the databases
 * themselves.
 */
final class CrashRun {
    static final Duration START = Duration.ofSeconds(60);
    static final Duration RUN = Duration.ofSeconds(60);

    /** What must have become of the transaction inside whose commit the JVM died. */
    enum Expected {
        /** Died before the commit record was durable: presumed abort, gone from every database. */
        ROLLED_BACK,
        /** Died after the commit record was forced: committed in every database. */
        COMMITTED,
        /** Killed from outside at no particular point: either, but the same in every database. */
        EITHER
    }

    /** The transfers a crashed run leaves behind that the verdict checks. */
    record Crash(Set<String> acknowledged, String crashedTransfer, Expected expected, int inDoubtBefore,
            String childOutput, Map<String, String> gtrids) {}

    private CrashRun() {
    }

    /** Runs the child until it halts at {@code spec.crashPoint()}; fails if it died anywhere else. */
    static Crash haltAtInjectionPoint(ChildSpec spec, Expected expected) throws Exception {
        try (ChildJvm child = ChildJvm.start(spec)) {
            child.awaitReady(START);
            int exit = child.awaitExit(RUN);
            assertThat(exit).as("exit status: %d means halted at the injection point%s",
                    TransferChild.CRASH_EXIT, child.describe()).isEqualTo(TransferChild.CRASH_EXIT);
            assertThat(child.crashPoint()).as("where it halted%s", child.describe()).isEqualTo(spec.crashPoint());
            assertThat(child.crashedTransfer()).as("the transfer it halted in%s", child.describe()).isNotNull();
            int inDoubt = BankFiles.inDoubt(spec.dir(), spec.backends());
            // Every injection point lies after at least one prepare and before the last phase-2
            // commit: if nothing is in doubt now, the test would not be testing recovery.
            assertThat(inDoubt).as("in-doubt branches right after the crash%s", child.describe()).isPositive();
            if (spec.log() == CommitLogKind.LOCAL) {
                List<LogInspection.Problem> problems = LogInspection.read(BankFiles.logDirectory(spec.dir())).problems();
                if (spec.crashPoint().equals("LOG_APPEND_TORN")) {
                    // The half-written COMMIT frame is really on disk: recovery must cut it, not trust it.
                    assertThat(problems).as("damage in the log after a torn append%s", child.describe())
                            .extracting(LogInspection.Problem::kind).contains(LogInspection.ProblemKind.TORN_TAIL);
                }
                assertThat(problems).as("damage that could lose a decision%s", child.describe())
                        .noneMatch(LogInspection.Problem::serious);
            }
            return new Crash(child.acknowledged(), child.crashedTransfer(), expected, inDoubt, child.describe(),
                    child.gtrids());
        }
    }

    /** Runs the child until it has acknowledged {@code acknowledgedBeforeKill} transfers, then SIGKILLs it. */
    static Crash killAfter(ChildSpec spec, int acknowledgedBeforeKill) throws Exception {
        try (ChildJvm child = ChildJvm.start(spec)) {
            child.awaitReady(START);
            child.await("acknowledge " + acknowledgedBeforeKill + " transfers", RUN,
                    c -> c.acknowledgedCount() >= acknowledgedBeforeKill || c.isDone());
            assertThat(child.isDone()).as("the child ran out of transfers before the kill%s", child.describe())
                    .isFalse();
            child.kill();
            int exit = child.awaitExit(RUN);
            assertThat(exit).as("exit status after SIGKILL%s", child.describe()).isEqualTo(128 + 9);
            int inDoubt = BankFiles.inDoubt(spec.dir(), spec.backends());
            return new Crash(child.acknowledged(), null, Expected.EITHER, inDoubt, child.describe(), child.gtrids());
        }
    }

    /**
     * The verdict, read from the databases with plain connections: nothing in doubt, money
     * conserved, the same transfers in every database, every acknowledged transfer present, and
     * the crashed transfer committed or rolled back as its injection point demands.
     *
     * @param acknowledgedSoFar every transfer acknowledged by any run on these databases
     * @return the transfer ids now in the databases
     */
    static Set<String> verify(Path dir, int databases, Crash crash, Set<String> acknowledgedSoFar, String recovery)
            throws Exception {
        return verify(dir, Backend.allH2(databases), crash, acknowledgedSoFar, recovery, crash.gtrids());
    }

    static Set<String> verify(Path dir, List<Backend> backends, Crash crash, Set<String> acknowledgedSoFar,
            String recovery) throws Exception {
        return verify(dir, backends, crash, acknowledgedSoFar, recovery, crash.gtrids());
    }

    /** @param gtrids transfer id to gtrid, for every transfer the failure message may need to explain */
    static Set<String> verify(Path dir, List<Backend> backends, Crash crash, Set<String> acknowledgedSoFar,
            String recovery, Map<String, String> gtrids) throws Exception {
        int databases = backends.size();
        List<BankFiles.DatabaseState> states = BankFiles.read(dir, backends);
        String context = "\n  states: " + summary(states) + "\n  recovery reported:\n" + recovery
                + "\n  crashed run:" + crash.childOutput();
        for (BankFiles.DatabaseState s : states) {
            assertThat(s.inDoubt()).as("in-doubt branches left in %s%s", s.name(), context).isZero();
        }
        Set<String> ids = states.get(0).transferIds();
        for (BankFiles.DatabaseState s : states.subList(1, states.size())) {
            Set<String> onlyFirst = new HashSet<>(ids);
            onlyFirst.removeAll(s.transferIds());
            Set<String> onlyHere = new HashSet<>(s.transferIds());
            onlyHere.removeAll(ids);
            assertThat(onlyFirst).as("transfers committed in %s but not in %s%s%s", states.get(0).name(), s.name(),
                    history(dir, onlyFirst, gtrids), context).isEmpty();
            assertThat(onlyHere).as("transfers committed in %s but not in %s%s%s", s.name(), states.get(0).name(),
                    history(dir, onlyHere, gtrids), context).isEmpty();
        }
        long total = states.stream().mapToLong(BankFiles.DatabaseState::total).sum();
        assertThat(total).as("total balance across all databases%s", context)
                .isEqualTo(BankFiles.openingTotal(databases));
        // The log too: every logged commit has its END once its branches are finished.
        assertThat(CommitLogKind.unfinishedCommits(dir))
                .as("logged commits without END after recovery%s", context).isEmpty();
        Set<String> lost = new HashSet<>(acknowledgedSoFar);
        lost.removeAll(ids);
        assertThat(lost).as("acknowledged transfers missing after recovery%s", context).isEmpty();
        switch (crash.expected()) {
            case COMMITTED -> assertThat(ids).as("the transfer whose commit record was durable%s", context)
                    .contains(crash.crashedTransfer());
            case ROLLED_BACK -> assertThat(ids).as("the transfer that died before its commit record%s", context)
                    .doesNotContain(crash.crashedTransfer());
            case EITHER -> { }
        }
        return ids;
    }

    /** What the commit log holds about the given transfers' transactions, for a mixed-outcome failure. */
    private static String history(Path dir, Set<String> transfers, Map<String, String> gtrids) {
        if (transfers.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        if (!java.nio.file.Files.isDirectory(BankFiles.logDirectory(dir))) {
            return "\n  transfers " + transfers + " ran as " + transfers.stream().map(gtrids::get).toList()
                    + " (replicated log: see the acceptors' files under " + dir.resolve("paxos") + ")";
        }
        LogInspection log = LogInspection.read(BankFiles.logDirectory(dir));
        for (String t : transfers) {
            String gtrid = gtrids.get(t);
            b.append("\n  transfer ").append(t).append(" ran as ").append(gtrid).append("; log decision ")
                    .append(gtrid == null ? "?" : log.decision(gtrid)).append("; its frames:");
            log.frames().stream().filter(f -> f.gtrid().equals(gtrid))
                    .forEach(f -> b.append("\n    ").append(f));
        }
        b.append("\n  log problems: ").append(log.problems());
        return b.toString();
    }

    private static String summary(List<BankFiles.DatabaseState> states) {
        StringBuilder b = new StringBuilder();
        for (BankFiles.DatabaseState s : states) {
            b.append(s.name()).append("{inDoubt=").append(s.inDoubt()).append(", total=").append(s.total())
                    .append(", transfers=").append(s.transferIds().size()).append("} ");
        }
        return b.toString();
    }
}
