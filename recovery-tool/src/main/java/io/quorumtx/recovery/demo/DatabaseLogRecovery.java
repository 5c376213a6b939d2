package io.quorumtx.recovery.demo;

import io.quorumtx.jdbc.RecoveryResources;
import io.quorumtx.jdbc.dblog.DatabaseCommitLog;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.recovery.InDoubtBranch;
import io.quorumtx.tm.recovery.OwnerLiveness;
import io.quorumtx.tm.recovery.PlannedStep;
import io.quorumtx.tm.recovery.Recovery;
import io.quorumtx.tm.recovery.ResolveReport;
import io.quorumtx.tm.spi.RecoverableResource;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.h2.jdbcx.JdbcDataSource;

/**
 * The demo's recovery on the database commit log ({@code demo --log database}): the crashed node's
 * working directory is gone, and a transaction manager with another node id ({@value #RECOVERING_NODE}),
 * with nothing on disk, finishes its transactions from the decision rows in bank-a. It waits only
 * for the crashed node's lease (by the database's clock) to lapse; the rows decide.
 */
final class DatabaseLogRecovery {
    static final String RECOVERING_NODE = "demo-2";
    /** The application's lease: short, so the demo does not wait long for it to lapse. */
    static final Duration LEASE = Duration.ofSeconds(1);
    private static final Duration DEADLINE = Duration.ofSeconds(45);

    private DatabaseLogRecovery() {
    }

    /** The database commit log in bank-a, carried by bank-a's own branch. */
    static DatabaseCommitLog log(Path dir) {
        return DatabaseCommitLog.builder(h2(dir, DemoBank.BANK_A), Dialect.h2()).carriedBy(DemoBank.BANK_A)
                .leaseDuration(LEASE).build();
    }

    static JdbcDataSource h2(Path dir, String database) {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(DemoBank.url(dir, database));
        ds.setUser("sa");
        return ds;
    }

    /** Runs the recovery; true if nothing is left in doubt and no heuristic outcome met. */
    static boolean recover(Path dir, PrintStream out, Map<String, String> heldTransfers) throws InterruptedException {
        List<RecoverableResource> resources = List.of(RecoveryResources.xa(DemoBank.BANK_A, h2(dir, DemoBank.BANK_A)),
                RecoveryResources.dialect(DemoBank.BANK_B, h2(dir, DemoBank.BANK_B), Dialect.h2()));
        DatabaseCommitLog log = log(dir);
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId(RECOVERING_NODE).commitLog(log)
                .recoveryInterval(Duration.ofHours(1)).build()) {
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            boolean lapsed = log.isOwnerLeaseLapsed(DemoBank.NODE_ID);
            while (!lapsed && System.nanoTime() < deadline) {
                Thread.sleep(100);
                lapsed = log.isOwnerLeaseLapsed(DemoBank.NODE_ID);
            }
            out.println(lapsed
                    ? "   node " + DemoBank.NODE_ID + "'s lease has lapsed (by the database's clock); what the rows"
                            + " in bank-a say:"
                    : "   node " + DemoBank.NODE_ID + "'s lease has NOT lapsed within " + DEADLINE.toSeconds() + " s"
                            + " (is it still running?); its transactions are left alone. What the rows in bank-a say:");
            Recovery preview = new Recovery(log, resources, new LeaseLiveness(log), Duration.ZERO);
            for (PlannedStep step : preview.plan(preview.scan())) {
                InDoubtBranch b = step.branch();
                out.printf("   found  %-7s transfer %s  %s  row %-7s -> plan %-8s (%s)%n", b.resourceName(),
                        heldTransfers.getOrDefault(b.gtrid(), "?"), b.gtrid(), b.logged(), step.action(), step.reason());
            }
            resources.forEach(tm::registerResource);
            ResolveReport report = tm.recover();
            while (!report.nothingInDoubt() && System.nanoTime() < deadline) {
                Thread.sleep(200);
                report = tm.recover();
            }
            for (ResolveReport.StepResult step : report.steps()) {
                InDoubtBranch b = step.step().branch();
                out.printf("   done   %-7s transfer %s  %s%s%n", b.resourceName(), heldTransfers.getOrDefault(b.gtrid(),
                        "?"), step.outcome(), step.detail().isEmpty() ? "" : ": " + step.detail());
            }
            out.println("   node " + RECOVERING_NODE + ": " + (report.nothingInDoubt() ? "nothing left in doubt"
                    : report.summary()) + "; undecided transactions got an ABORT row before their rollback");
            out.println();
            return report.nothingInDoubt() && tm.heuristicOutcomes().isEmpty();
        }
    }

    /** An owner is gone once no incarnation of it holds a live lease in the log. */
    private record LeaseLiveness(DatabaseCommitLog log) implements OwnerLiveness {
        @Override
        public boolean mayStillDecide(String ownerNode, String gtrid) {
            return !log.isOwnerLeaseLapsed(ownerNode);
        }

        @Override
        public boolean isGone(String ownerNode, String gtrid) {
            return log.isOwnerLeaseLapsed(ownerNode);
        }
    }
}
