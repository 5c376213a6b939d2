package io.quorumtx.recovery.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code quorumtx demo}: the README's first command. Runs {@link CrashRecoverDemo}; exit 0 only if its check holds. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Moves money between accounts in two embedded H2 databases (one JTA transaction, two-phase",
            "commit, per transfer) in a child JVM, kills that JVM with SIGKILL in the middle of two commits,",
            "recovers with a restarted transaction manager, and prints the balances before and after, each",
            "in-doubt branch found and how it was resolved. Exit code 0 only if the total is conserved,",
            "nothing is left in doubt and every transfer is in both databases or in neither."
        })
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--dir", description = "Directory for the demo's databases and commit log (default: a new temporary directory, deleted afterwards).")
    Path dir;

    @Option(names = "--transfers", defaultValue = "5", description = "Transfers committed before the crash (default: ${DEFAULT-VALUE}).")
    int transfers;

    @Option(names = "--log", defaultValue = "local", paramLabel = "local|database", description = "The commit log:"
            + " local (a directory, the default) or database (decision rows in bank-a; after the crash the node's working"
            + " directory is deleted and a node with another id recovers).")
    String log;

    @Override
    public Integer call() throws Exception {
        if (!log.equals("local") && !log.equals("database")) {
            System.err.println("--log must be local or database, got " + log);
            return 2;
        }
        if (transfers < 0 || transfers > 10_000) {
            System.err.println("--transfers must be between 0 and 10000, got " + transfers);
            return 2;
        }
        boolean temporary = dir == null;
        Path work = temporary ? Files.createTempDirectory("quorumtx-demo") : Files.createDirectories(dir);
        try {
            return new CrashRecoverDemo(work, System.out, log.equals("database")).run(transfers) ? 0 : 1;
        } finally {
            if (temporary) {
                DemoFiles.deleteRecursively(work);
            }
        }
    }
}
