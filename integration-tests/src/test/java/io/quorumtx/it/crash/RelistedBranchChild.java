package io.quorumtx.it.crash;

import static io.quorumtx.it.crash.Wrapping.DIALECT;

import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.QuorumTransactionManagerBuilder;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * The second JVM of {@link RelistedFinishedBranchCrashTest}: a manager on the bank's log (its
 * startup recovery finishes the first JVM's transaction, resolving its H2 branches by name), then
 * one transfer over bank-a and bank-b. Once bank-a is prepared and bank-b not yet, it commits an
 * unrelated write in bank-b, so that bank-b's never-prepared work reaches H2's file (in
 * {@link UnrecoveredRestartsTest} concurrent transfers do that by chance), and halts. Arguments:
 * the directory and a {@link CommitLogKind}; output lines as {@link TransferChild}'s.
 */
public final class RelistedBranchChild {
    static final List<Wrapping> WRAPPINGS = List.of(DIALECT, DIALECT);
    static final String TRANSFER = "f2-1";

    private RelistedBranchChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        QuorumTransactionManagerBuilder builder = QuorumTransactionManager.builder()
                .nodeId(BankFiles.NODE_ID)
                .defaultTimeout(Duration.ofSeconds(30))
                .crashInjector((point, gtrid) -> {
                    if (point == CrashPoint.AFTER_SOME_PREPARED) {
                        commitUnrelatedWrite(dir, BankFiles.NAMES.get(1));
                        TransferChild.emit("CRASH " + point + " " + gtrid);
                        Runtime.getRuntime().halt(TransferChild.CRASH_EXIT);
                    }
                });
        AutoCloseable logPeers = CommitLogKind.valueOf(args[1]).configure(builder, dir);
        QuorumTransactionManager tm = builder.build();
        try (logPeers; tm; WrappedBanks banks = new WrappedBanks(tm, dir, Backend.allH2(2), WRAPPINGS, 2)) {
            TransferChild.emit("READY");
            TransferChild.transfer(tm, banks.dataSources(), TRANSFER);
            TransferChild.emit("DONE");
        }
        System.exit(0);
    }

    private static void commitUnrelatedWrite(Path dir, String database) {
        try (Connection c = BankFiles.connect(dir, database, Backend.H2); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS unrelated (n INT)");
            s.execute("INSERT INTO unrelated VALUES (1)");
        } catch (SQLException e) {
            TransferChild.emit("FAIL unrelated write " + e);
        }
    }
}
