package io.quorumtx.it.realdb;

import static io.quorumtx.it.realdb.RealDbCrashChild.emit;

import io.quorumtx.it.support.ChildArgs;
import io.quorumtx.it.support.WrappingStyle;
import io.quorumtx.it.threephase.FileLedger;
import io.quorumtx.tm.CommitProtocolType;
import io.quorumtx.tm.CrashPoint;
import io.quorumtx.tm.ThreePhaseResource;
import io.quorumtx.tm.internal.QuorumTransaction;
import jakarta.transaction.Status;
import jakarta.transaction.TransactionManager;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The JVM a three-phase-commit crash test kills: like {@link RealDbCrashChild}, but every transfer
 * commits with {@link CommitProtocolType#THREE_PHASE} and spans the banks of its topology plus a
 * {@link FileLedger} (a participant that is not a database). The amounts of the banks and the
 * ledger sum to zero. Same line protocol; extra argument {@code ledger} (the ledger's directory).
 */
public final class ThreePhaseCrashChild {

    private ThreePhaseCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = ChildArgs.parse(args);
        Topology topology = Topology.valueOf(a.get("topology"));
        WrappingStyle style = WrappingStyle.valueOf(a.get("style"));
        Path dir = Path.of(a.get("dir"));
        int accounts = Integer.parseInt(a.get("accounts"));
        List<String> tables = Arrays.asList(a.get("tables").split(","));
        CrashPoint point = CrashPoint.valueOf(a.get("point"));
        int hit = Integer.parseInt(a.get("hit"));
        FileLedger ledger = new FileLedger(ThreePhaseCrashRecoveryTest.LEDGER, Path.of(a.get("ledger")));

        List<Bank> banks = topology.open(dir, accounts, tables);
        try (RealDbCluster c = RealDbCluster.attach(banks, a.get("node"), dir.resolve("tx-log"), style, 2,
                b -> b.crashInjector(RealDbCrashChild.injector(point, hit)).defaultProtocol(CommitProtocolType.THREE_PHASE))) {
            ThreePhaseResource ledgerResource = new ThreePhaseResource(ledger);
            c.tm().registerResource(ledgerResource);
            emit("READY");
            for (int n = 1; n <= 1_000; n++) {
                transfer(c, ledger, ledgerResource, n);
            }
            emit("DONE");
        }
        System.exit(0);
    }

    private static void transfer(RealDbCluster c, FileLedger ledger, ThreePhaseResource ledgerResource, int n)
            throws Exception {
        TransactionManager tm = c.tm();
        ThreadLocalRandom r = ThreadLocalRandom.current();
        try {
            tm.begin();
            String gtrid = ((QuorumTransaction) tm.getTransaction()).gtrid();
            emit("TX " + n + " " + gtrid);
            long sum = 0;
            for (int i = 0; i < c.size(); i++) {
                long amount = r.nextInt(1, 21);
                sum += amount;
                c.credit(i, 1 + r.nextInt(c.bank(i).accounts()), amount);
            }
            tm.getTransaction().enlistResource(ledgerResource);
            ledger.add(gtrid, -sum);
            tm.commit();
            emit("OK " + n + " .");
        } catch (SQLException | RuntimeException | jakarta.transaction.RollbackException
                 | jakarta.transaction.SystemException | jakarta.transaction.HeuristicMixedException
                 | jakarta.transaction.HeuristicRollbackException e) {
            emit("FAIL " + n + " " + e.toString().replace('\n', ' '));
            try {
                if (tm.getStatus() != Status.STATUS_NO_TRANSACTION) {
                    tm.rollback();
                }
            } catch (IllegalStateException | jakarta.transaction.SystemException inDoubt) {
                tm.suspend();
            }
        }
    }
}
