package io.quorumtx.it.realdb;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import io.quorumtx.it.support.ChildArgs;
import io.quorumtx.it.support.WrappingStyle;
import io.quorumtx.it.threephase.FileLedger;
import io.quorumtx.tm.CommitProtocolType;
import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.spi.ThreePhaseResource;
import io.quorumtx.tm.internal.QuorumTransaction;
import jakarta.transaction.Status;
import jakarta.transaction.TransactionManager;

/**
 * The JVM a real-database crash test kills: moves money through QuorumTX across the banks of a
 * {@link Topology} on one thread (so the verdict can be exact) until its crash injector halts it
 * at the n-th time a transaction reaches the named point. It speaks the line protocol of the H2
 * crash tests' {@code io.quorumtx.it.crash.TransferChild}, flushed before it can die:
 * {@code READY}; {@code TX <n> <gtrid>}; {@code OK <n> .} (acknowledged: must survive);
 * {@code FAIL <n> <error>}; {@code CRASH <point> <gtrid>}; {@code DONE}.
 *
 * <p>Arguments, {@code key=value}: topology, style, dir (log directory's parent), node (the
 * crashed node's id, which the recovering manager reuses), tables (one per bank), accounts,
 * point, hit; optional annotated=true (transfers through {@link AnnotatedTransfers}), ledger (a {@link FileLedger}'s directory: every transfer is then
 * three-phase and the ledger is one more participant, whose amount balances the banks').
 */
public final class RealDbCrashChild {
    static final int CRASH_EXIT = 77;

    private RealDbCrashChild() {
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
        // With a ledger: every transfer is three-phase and spans the file ledger too.
        Ledger ledger = a.containsKey("ledger") ? new Ledger(new FileLedger(ThreePhaseCrashRecoveryTest.LEDGER,
                Path.of(a.get("ledger")))) : null;

        List<Bank> banks = topology.open(dir, accounts, tables);
        try (RealDbCluster c = RealDbCluster.attach(banks, a.get("node"), dir.resolve("tx-log"), style, 2,
                b -> b.crashInjector(injector(point, hit)).defaultProtocol(ledger == null
                        ? CommitProtocolType.TWO_PHASE : CommitProtocolType.THREE_PHASE))) {
            if (ledger != null) {
                c.tm().registerResource(ledger.resource());
            }
            AnnotatedTransfers service = Boolean.parseBoolean(a.get("annotated")) ? AnnotatedTransfers.of(c) : null;
            emit("READY");
            // Far more than any crash point needs: reaching DONE means the point was never hit.
            for (int n = 1; n <= 1_000; n++) {
                if (service != null) {
                    transferAnnotated(c, service, n);
                } else {
                    transfer(c, n, ledger);
                }
            }
            emit("DONE");
        }
        System.exit(0);
    }

    /** A {@link FileLedger} and the resource it is enlisted through. */
    record Ledger(FileLedger ledger, ThreePhaseResource resource) {
        Ledger(FileLedger ledger) {
            this(ledger, new ThreePhaseResource(ledger));
        }
    }

    /** Halts the JVM (exit {@link #CRASH_EXIT}) the {@code hit}-th time a transaction reaches {@code target}. */
    static CrashInjector injector(CrashPoint target, int hit) {
        AtomicInteger hits = new AtomicInteger();
        return (point, gtrid) -> {
            if (point == target && hits.incrementAndGet() == hit) {
                emit("CRASH " + point + " " + gtrid);
                Runtime.getRuntime().halt(CRASH_EXIT);
            }
        };
    }

    /**
     * One row in each bank, in bank order; the amounts sum to zero. A transfer whose outcome is in
     * doubt (the commit record could not be confirmed) is reported as FAIL and left to recovery.
     */
    static void transfer(RealDbCluster c, int n) throws Exception {
        transfer(c, n, null);
    }

    /** As {@link #transfer(RealDbCluster, int)}; with a ledger, its amount balances the banks'. */
    static void transfer(RealDbCluster c, int n, Ledger ledger) throws Exception {
        transfer(c, n, ledger, false);
    }

    /**
     * As {@link #transfer(RealDbCluster, int)}, and the transfer's gtrid is written to every
     * bank's {@linkplain Bank#journal() journal} inside the transaction: the fault campaign reads
     * the journals to name a transfer kept in one database only.
     */
    static void journaledTransfer(RealDbCluster c, int n) throws Exception {
        transfer(c, n, null, true);
    }

    private static void transfer(RealDbCluster c, int n, Ledger ledger, boolean journaled) throws Exception {
        TransactionManager tm = c.tm();
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long[] delta = new long[c.size()];
        long sum = 0;
        for (int i = ledger == null ? 1 : 0; i < delta.length; i++) {
            delta[i] = r.nextInt(1, 21);
            sum += delta[i];
        }
        if (ledger == null) {
            delta[0] = -sum;
        }
        try {
            tm.begin();
            String gtrid = ((QuorumTransaction) tm.getTransaction()).gtrid();
            emit("TX " + n + " " + gtrid);
            for (int i = 0; i < delta.length; i++) {
                c.credit(i, 1 + r.nextInt(c.bank(i).accounts()), delta[i]);
                if (journaled) {
                    c.journal(i, gtrid);
                }
            }
            if (ledger != null) {
                tm.getTransaction().enlistResource(ledger.resource());
                ledger.ledger().add(gtrid, -sum);
            }
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
                tm.suspend(); // an in-doubt transaction is recovery's now
            }
        }
    }

    /** The same transfer through an annotated service and Jdbi DAOs: the service's proxy begins and commits. */
    static void transferAnnotated(RealDbCluster c, AnnotatedTransfers service, int n) throws Exception {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int[] ids = new int[c.size()];
        long[] amounts = new long[c.size()];
        long sum = 0;
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1 + r.nextInt(c.bank(i).accounts());
            if (i > 0) {
                amounts[i] = r.nextInt(1, 21);
                sum += amounts[i];
            }
        }
        amounts[0] = -sum;
        try {
            service.transfer(ids, amounts, gtrid -> emit("TX " + n + " " + gtrid));
            emit("OK " + n + " .");
        } catch (RuntimeException e) {
            emit("FAIL " + n + " " + e.toString().replace('\n', ' '));
        }
    }

    static void emit(String line) {
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }
}
