package io.quorumtx.it.crash;

import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.QuorumTransactionManagerBuilder;
import io.quorumtx.tm.internal.QuorumTransaction;
import jakarta.transaction.Status;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The JVM a crash test kills: moves money through QuorumTX between the bank databases on several
 * threads until it dies — halted by its {@link CrashInjector} at a named point, or killed with
 * SIGKILL by the test.
 *
 * <p>It tells the test what happened on stdout, one line per event, flushed before it can die:
 * <pre>
 * READY                     the manager and the wrapped databases are open
 * TX &lt;id&gt; &lt;gtrid&gt;          transfer id begins as transaction gtrid
 * OK &lt;id&gt; .                commit() returned: acknowledged, must survive any crash
 * FAIL &lt;id&gt; &lt;error&gt;        the transfer was rolled back (lock timeout and the like)
 * CRASH &lt;point&gt; &lt;gtrid&gt;    about to halt at the injection point, inside gtrid's commit
 * DONE                      ran out of transfers without dying
 * </pre>
 * The trailing {@code .} of {@code OK} lines lets the reader reject a line cut short by the death.
 */
public final class TransferChild {
    /** Exit status of a halt at the injection point: tells the test the JVM died where it was told to. */
    static final int CRASH_EXIT = 77;

    private TransferChild() {
    }

    public static void main(String[] args) throws Exception {
        ChildSpec spec = ChildSpec.parse(args);
        QuorumTransactionManager tm;
        AutoCloseable logPeers;
        try {
            QuorumTransactionManagerBuilder builder = QuorumTransactionManager.builder()
                    .nodeId(BankFiles.NODE_ID)
                    .defaultTimeout(Duration.ofSeconds(30))
                    .crashInjector(injector(spec));
            logPeers = spec.log().configure(builder, spec.dir());
            tm = builder.build();
        } catch (RuntimeException e) {
            e.printStackTrace();
            System.exit(2);
            return;
        }
        try (logPeers; tm; WrappedBanks banks = new WrappedBanks(tm, spec.dir(), spec.backends(), spec.wrappings(), spec.threads() + 1)) {
            emit("READY");
            AtomicInteger next = new AtomicInteger();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < spec.threads(); t++) {
                Thread w = new Thread(() -> {
                    int n;
                    while ((n = next.incrementAndGet()) <= spec.maxTransfers()) {
                        transfer(tm, banks.dataSources(), spec.runId() + "-" + n);
                    }
                }, "transfer-" + t);
                w.start();
                workers.add(w);
            }
            for (Thread w : workers) {
                w.join();
            }
            emit("DONE");
        }
        System.exit(0);
    }

    private static CrashInjector injector(ChildSpec spec) {
        if (!spec.injectsCrash()) {
            return (point, gtrid) -> { };
        }
        CrashPoint target = CrashPoint.valueOf(spec.crashPoint());
        AtomicInteger hits = new AtomicInteger();
        return (point, gtrid) -> {
            if (point == target && hits.incrementAndGet() == spec.crashAtHit()) {
                emit("CRASH " + point + " " + gtrid);
                Runtime.getRuntime().halt(CRASH_EXIT);
            }
        };
    }

    /** Debits one database and credits every other, and logs the transfer id in each. */
    @SuppressWarnings("CatchAndPrintStackTrace") // child process: its stderr is captured by the parent test; the transfer's failure was already emitted
    static void transfer(QuorumTransactionManager tm, List<TransactionalDataSource> dbs, String id) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int source = random.nextInt(dbs.size());
        long amount = 1L + random.nextInt(20);
        try {
            tm.begin();
            // The gtrid ties the injector's report ("halted inside gtrid") to a transfer id; the
            // public JTA API has no name for it, the manager's own Transaction class does.
            emit("TX " + id + " " + ((QuorumTransaction) tm.getTransaction()).gtrid());
            // Databases always in the same order, one account row each: no deadlock cycles.
            for (int i = 0; i < dbs.size(); i++) {
                long delta = i == source ? -amount * (dbs.size() - 1) : amount;
                try (Connection c = dbs.get(i).getConnection()) {
                    update(c, random.nextInt(BankFiles.ACCOUNTS), delta);
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO transfer_log VALUES (?)")) {
                        ps.setString(1, id);
                        ps.executeUpdate();
                    }
                }
            }
            tm.commit();
            emit("OK " + id + " .");
        } catch (Exception e) {
            emit("FAIL " + id + " " + e.toString().replace('\n', ' '));
            try {
                if (tm.getStatus() != Status.STATUS_NO_TRANSACTION) {
                    tm.rollback();
                }
            } catch (Exception rollbackFailure) {
                rollbackFailure.printStackTrace();
            }
        }
    }

    private static void update(Connection c, int account, long delta) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE account SET balance = balance + ? WHERE id = ?")) {
            ps.setLong(1, delta);
            ps.setInt(2, account);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("no account " + account);
            }
        }
    }

    static void emit(String line) {
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }
}
