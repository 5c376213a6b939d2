package io.quorumtx.it.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.QuorumTransactionManagerBuilder;
import io.quorumtx.tm.recovery.ResolveReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The ways a crashed node's transactions get finished; each crash test runs one of them. */
enum Recoverer {
    /** The application restarts: a new manager on the same log and names, then {@code recover()}. */
    NEW_MANAGER {
        @Override
        @SuppressWarnings("try") // peers and banks must stay open (registered with the TM) during recovery; the body does not reference them
        String recover(Path dir, List<Backend> backends, List<Wrapping> wrappings, CommitLogKind log)
                throws Exception {
            Restarted restarted = restartedManager(dir, Duration.ofHours(1), log);
            QuorumTransactionManager tm = restarted.tm();
            try (AutoCloseable peers = restarted.logPeers(); WrappedBanks banks = wrap(tm, dir, backends, wrappings); tm) {
                // Registering the resources already triggered a background pass; this one runs after
                // it and must find nothing left, and neither may have met a heuristic outcome.
                ResolveReport report = tm.recover();
                assertThat(report.nothingInDoubt()).as("recover() left work: %s", report.summary()).isTrue();
                assertThat(tm.heuristicOutcomes()).as("heuristic outcomes met by recovery").isEmpty();
                return report.summary();
            }
        }
    },
    /**
     * The application restarts and does nothing: its recovery manager's own periodic pass must
     * finish everything.
     */
    BACKGROUND {
        @Override
        @SuppressWarnings("try") // peers and banks must stay open (registered with the TM) during recovery; the body does not reference them
        String recover(Path dir, List<Backend> backends, List<Wrapping> wrappings, CommitLogKind log)
                throws Exception {
            Restarted restarted = restartedManager(dir, Duration.ofMillis(200), log);
            QuorumTransactionManager tm = restarted.tm();
            try (AutoCloseable peers = restarted.logPeers(); WrappedBanks banks = wrap(tm, dir, backends, wrappings); tm) {
                Poll.until("the recovery manager's periodic pass to clear every in-doubt branch",
                        Duration.ofSeconds(30), () -> BankFiles.inDoubt(dir, backends) == 0);
                // IN_DOUBT empties when H2 has applied a rollback in memory, before the statement
                // has returned. recover() waits for the running pass, so close() below does not
                // interrupt it mid-write (close() interrupts a running pass, and H2 closes its
                // file on an interrupt: the rollback is lost and the branch is back in doubt).
                ResolveReport report = tm.recover();
                assertThat(report.nothingInDoubt()).as("left after periodic recovery: %s", report.summary()).isTrue();
                assertThat(tm.heuristicOutcomes()).as("heuristic outcomes met by recovery").isEmpty();
                return "periodic recovery, then " + report.summary();
            }
        }
    },
    /** The operator's way: {@code quorumtx resolve --config <file> --yes} in its own JVM. */
    TOOL {
        @Override
        String recover(Path dir, List<Backend> backends, List<Wrapping> wrappings, CommitLogKind log)
                throws Exception {
            if (log != CommitLogKind.LOCAL) {
                throw new IllegalArgumentException("the tool's crash runs use the local log, not " + log);
            }
            Path config = ToolProcess.writeConfig(dir, backends, wrappings);
            ToolProcess.Result result = ToolProcess.run(dir, Duration.ofSeconds(90),
                    "resolve", "--config", config.toString(), "--yes");
            assertThat(result.exitCode()).as("exit code of quorumtx resolve (0: nothing in doubt):\n%s",
                    result.output()).isZero();
            return result.output();
        }
    };

    /** Finishes every transaction of the crashed node; returns what it reported, for failure messages. */
    String recover(Path dir, List<Backend> backends, List<Wrapping> wrappings) throws Exception {
        return recover(dir, backends, wrappings, CommitLogKind.LOCAL);
    }

    /** As {@link #recover(Path, List, List)}, with the commit log the crashed JVMs used. */
    abstract String recover(Path dir, List<Backend> backends, List<Wrapping> wrappings, CommitLogKind log)
            throws Exception;

    /** A restarted manager and what must be closed after it (the replicated log's in-process peers). */
    private record Restarted(QuorumTransactionManager tm, AutoCloseable logPeers) {
    }

    /**
     * The databases under their old names for {@code tm}; closes {@code tm} if that fails. Callers
     * close the manager before the databases, so no recovery pass runs against a closed pool.
     */
    private static WrappedBanks wrap(QuorumTransactionManager tm, Path dir, List<Backend> backends,
            List<Wrapping> wrappings) {
        try {
            return new WrappedBanks(tm, dir, backends, wrappings, 2);
        } catch (RuntimeException e) {
            tm.close();
            throw e;
        }
    }

    private static Restarted restartedManager(Path dir, Duration recoveryInterval, CommitLogKind log)
            throws Exception {
        QuorumTransactionManagerBuilder builder = QuorumTransactionManager.builder()
                .nodeId(BankFiles.NODE_ID)
                .recoveryInterval(recoveryInterval)
                // The crashed incarnation cannot decide anything any more; no need to wait for it.
                .recoverySafetyInterval(Duration.ofMillis(1));
        AutoCloseable peers = log.configure(builder, dir);
        try {
            return new Restarted(builder.build(), peers);
        } catch (RuntimeException e) {
            peers.close();
            throw e;
        }
    }
}
