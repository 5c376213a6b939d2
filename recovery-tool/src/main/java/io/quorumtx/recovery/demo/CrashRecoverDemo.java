package io.quorumtx.recovery.demo;

import io.quorumtx.jdbc.RecoveryResources;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.tm.log.LocalCommitLog;
import io.quorumtx.tm.recovery.InDoubtBranch;
import io.quorumtx.tm.recovery.OwnerLiveness;
import io.quorumtx.tm.recovery.PlannedStep;
import io.quorumtx.tm.recovery.Recovery;
import io.quorumtx.tm.recovery.ResolveReport;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.h2.jdbcx.JdbcDataSource;

/**
 * The crash-and-recover demo: the README's first command.
 *
 * <p>The application runs in a child JVM ({@link DemoBankJvm}) so it can really die: this JVM
 * starts it with the same {@code java} and class path, relays what it says, and kills it with
 * SIGKILL while two transfers are inside {@code commit()} — one before its commit decision was
 * logged, one between its phase-2 commits. Then it runs {@link Recovery}, the engine behind
 * {@code quorumtx resolve} and every manager's recovery manager, on the same commit log and
 * database names, and prints each in-doubt branch found, the plan for it and what became of it. The check at the end reads
 * the databases themselves: the total is conserved, nothing is in doubt, and every transfer is
 * in both databases or in neither.
 */
final class CrashRecoverDemo {
    private static final Duration CHILD_DEADLINE = Duration.ofSeconds(45);

    private final Path dir;
    private final PrintStream out;
    /** gtrid to transfer name, for the transactions the application was killed in. */
    private final Map<String, String> heldTransfers = new HashMap<>();

    /** The database commit log (decision rows in bank-a) instead of the local log directory. */
    private final boolean databaseLog;

    CrashRecoverDemo(Path dir, PrintStream out) {
        this(dir, out, false);
    }

    CrashRecoverDemo(Path dir, PrintStream out, boolean databaseLog) {
        this.dir = dir;
        this.out = out;
        this.databaseLog = databaseLog;
    }

    /** The application node's working directory (its output); deleted after the crash with the database log. */
    private Path nodeDirectory() {
        return dir.resolve("node-" + DemoBank.NODE_ID);
    }

    /** Runs the demo; true only if the final check holds. */
    boolean run(int transfers) throws Exception {
        DemoBank.removeFiles(dir);
        DemoBank.create(dir);
        out.println("QuorumTX demo: a bank whose accounts live in two H2 databases; every transfer is one");
        out.println("JTA transaction across both. The application is killed in the middle of commits, then recovered.");
        out.println("  " + DemoBank.BANK_A + "  " + DemoBank.url(dir, DemoBank.BANK_A)
                + "  (H2 XADataSource; alice, carol)");
        out.println("  " + DemoBank.BANK_B + "  " + DemoBank.url(dir, DemoBank.BANK_B)
                + "  (HikariCP pool + H2 dialect; bob, dave)");
        out.println("  commit log  " + (databaseLog ? "the database commit log: tables quorumtx_log_* in " + DemoBank.BANK_A
                + " (the decision rides in " + DemoBank.BANK_A + "'s own one-phase commit); nothing on the node's disk"
                : DemoBank.logDirectory(dir)));
        out.println();
        long before = printBalances("Balances before");

        Set<String> acknowledged = runAndKillApplication(transfers);

        DemoBank.Snapshot a = DemoBank.read(dir, DemoBank.BANK_A);
        DemoBank.Snapshot b = DemoBank.read(dir, DemoBank.BANK_B);
        out.printf("   In doubt now (prepared, waiting for a decision; INFORMATION_SCHEMA.IN_DOUBT): %s %d, %s %d%n",
                DemoBank.BANK_A, a.inDoubt().size(), DemoBank.BANK_B, b.inDoubt().size());
        out.println();

        boolean recoveryClean = databaseLog ? recoverOnAnotherNode() : recover();

        long after = printBalances("Balances after");
        a = DemoBank.read(dir, DemoBank.BANK_A);
        b = DemoBank.read(dir, DemoBank.BANK_B);
        int inDoubt = a.inDoubt().size() + b.inDoubt().size();
        Set<String> onlyOne = new HashSet<>(a.transfers());
        onlyOne.addAll(b.transfers());
        Set<String> both = new HashSet<>(a.transfers());
        both.retainAll(b.transfers());
        onlyOne.removeAll(both);
        Set<String> lost = new HashSet<>(acknowledged);
        lost.removeAll(both);
        boolean ok = recoveryClean && after == before && inDoubt == 0 && onlyOne.isEmpty() && lost.isEmpty();
        out.printf("Check: total before %d, after %d (%s); in doubt: %s %d, %s %d; transfers in one database"
                        + " only: %s; acknowledged transfers missing: %s; X %s, Y %s -> %s%n",
                before, after, after == before ? "conserved" : "NOT CONSERVED",
                DemoBank.BANK_A, a.inDoubt().size(), DemoBank.BANK_B, b.inDoubt().size(),
                onlyOne.isEmpty() ? "none" : onlyOne, lost.isEmpty() ? "none" : lost,
                fate(both, onlyOne, "X"), fate(both, onlyOne, "Y"), ok ? "OK" : "FAILED");
        return ok;
    }

    private static String fate(Set<String> both, Set<String> onlyOne, String id) {
        return both.contains(id) ? "committed in both" : onlyOne.contains(id) ? "IN ONE ONLY" : "in neither";
    }

    /**
     * {@code classPath} with every entry made absolute: the application JVM runs in the node's own
     * directory, where {@code java -jar recovery-tool/target/quorumtx.jar demo} (the README's main
     * command, a relative class path) would otherwise find no classes at all.
     */
    static String absoluteClassPath(String classPath) {
        StringJoiner absolute = new StringJoiner(File.pathSeparator);
        for (String entry : classPath.split(Pattern.quote(File.pathSeparator), -1)) {
            if (!entry.isEmpty()) {
                absolute.add(Path.of(entry).toAbsolutePath().normalize().toString());
            }
        }
        return absolute.toString();
    }

    /** Starts the application JVM, relays its lines, kills it when it asks; returns the acknowledged transfers. */
    private Set<String> runAndKillApplication(int transfers) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = List.of(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", absoluteClassPath(System.getProperty("java.class.path")), DemoBankJvm.class.getName(),
                dir.toAbsolutePath().toString(), Integer.toString(transfers), databaseLog ? "database" : "local");
        Path work = Files.createDirectories(databaseLog ? nodeDirectory() : dir);
        Path stderr = work.resolve("application-jvm.err");
        Process child = new ProcessBuilder(command).directory(work.toFile()).redirectError(stderr.toFile()).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> relay(child, lines), "demo-child-stdout");
        reader.setDaemon(true);
        reader.start();
        out.println("1. The application JVM (pid " + child.pid() + ") moves money; each line is one committed"
                + " two-phase commit:");
        Set<String> acknowledged = new HashSet<>();
        long deadline = System.nanoTime() + CHILD_DEADLINE.toNanos();
        try {
            while (true) {
                String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null || line.equals(EOF)) {
                    throw new IllegalStateException("the application JVM "
                            + (line == null ? "did not reach the kill point within " + CHILD_DEADLINE
                                    : "ended before the kill point")
                            + "; its error output:\n" + Files.readString(stderr));
                }
                if (line.startsWith("SAY ")) {
                    out.println("   | " + line.substring(4));
                } else if (line.startsWith("ACK ")) {
                    acknowledged.add(line.substring(4));
                } else if (line.startsWith("HELD ")) {
                    String[] f = line.split(" ", -1); // the child writes "HELD <point> <gtrid>"
                    heldTransfers.put(f[2], heldTransfers.isEmpty() ? "X" : "Y");
                    out.println("   |   held at " + f[1] + ", transaction " + f[2]);
                } else if (line.equals("KILL-ME")) {
                    break;
                }
            }
            out.println();
            child.destroyForcibly();
            if (!child.waitFor(CHILD_DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                throw new IllegalStateException("the application JVM did not die after SIGKILL");
            }
            out.println("2. Killed the application JVM with SIGKILL (kill -9; exit status " + child.exitValue()
                    + ") while X and Y were inside commit().");
        } finally {
            child.destroyForcibly();
        }
        return acknowledged;
    }

    private static final String EOF = "\u0000EOF";

    private static void relay(Process child, BlockingQueue<String> lines) {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
            }
        } catch (IOException e) {
            // The pipe breaks when the child is killed: the end of its output.
        } finally {
            lines.add(EOF);
        }
    }

    /** The database log's recovery: the node's directory deleted, another node id recovers from the rows. */
    private boolean recoverOnAnotherNode() throws Exception {
        DemoFiles.deleteRecursively(nodeDirectory());
        out.println("3. Deleted node " + DemoBank.NODE_ID + "'s working directory " + nodeDirectory() + " (exists: "
                + Files.exists(nodeDirectory()) + "). A transaction manager with another node id, "
                + DatabaseLogRecovery.RECOVERING_NODE + ", starts with nothing on disk; its commit log is the same table"
                + " in " + DemoBank.BANK_A + ":");
        return DatabaseLogRecovery.recover(dir, out, heldTransfers);
    }

    /**
     * Recovery as {@code quorumtx resolve} runs it, and as every restarted manager's recovery
     * manager runs it: the same engine, scanning both databases by the names the application used
     * and applying the decisions in the commit log. This JVM holds the log's lock, which proves the
     * application is not running: an undecided branch can be rolled back at once.
     */
    private boolean recover() {
        out.println("3. Recovery (the engine behind `quorumtx resolve` and every restarted transaction manager)"
                + " reads the commit log and scans both databases for prepared branches of ours:");
        JdbcDataSource xaA = new JdbcDataSource();
        xaA.setURL(DemoBank.url(dir, DemoBank.BANK_A));
        xaA.setUser("sa");
        JdbcDataSource plainB = new JdbcDataSource();
        plainB.setURL(DemoBank.url(dir, DemoBank.BANK_B));
        plainB.setUser("sa");
        try (LocalCommitLog log = LocalCommitLog.open(DemoBank.logDirectory(dir))) {
            Recovery recovery = new Recovery(log,
                    List.of(RecoveryResources.xa(DemoBank.BANK_A, xaA),
                            RecoveryResources.dialect(DemoBank.BANK_B, plainB, Dialect.h2())),
                    OwnerLiveness.stoppedNodes(Set.of(DemoBank.NODE_ID)), Duration.ZERO);
            List<PlannedStep> plan = recovery.plan(recovery.scan());
            if (plan.isEmpty()) {
                out.println("   (no in-doubt branch found)");
            }
            for (PlannedStep step : plan) {
                InDoubtBranch branch = step.branch();
                out.printf("   found  %-7s transfer %s  %s  logged %-7s -> plan %-8s (%s)%n",
                        branch.resourceName(), heldTransfers.getOrDefault(branch.gtrid(), "?"), branch.gtrid(),
                        branch.logged(), step.action(), step.reason());
            }
            ResolveReport report = recovery.resolve(false);
            for (ResolveReport.StepResult step : report.steps()) {
                InDoubtBranch branch = step.step().branch();
                out.printf("   done   %-7s transfer %s  %s%s%n", branch.resourceName(),
                        heldTransfers.getOrDefault(branch.gtrid(), "?"), step.outcome(),
                        step.detail().isEmpty() ? "" : ": " + step.detail());
            }
            out.println("   " + report.summary());
            out.println();
            return report.nothingInDoubt() && report.heuristicCount() == 0;
        }
    }

    private long printBalances(String title) throws Exception {
        StringBuilder line = new StringBuilder(title).append(':');
        long total = 0;
        for (String db : List.of(DemoBank.BANK_A, DemoBank.BANK_B)) {
            DemoBank.Snapshot s = DemoBank.read(dir, db);
            for (Map.Entry<String, Long> e : s.balances().entrySet()) {
                line.append(' ').append(e.getKey()).append('@').append(db).append('=').append(e.getValue());
            }
            total += s.total();
        }
        out.println(line.append("  total=").append(total));
        out.println();
        return total;
    }
}
