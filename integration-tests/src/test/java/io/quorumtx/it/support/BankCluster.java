package io.quorumtx.it.support;

import io.quorumtx.testsupport.H2Bank;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.tm.QuorumTransactionManager;

/**
 * One QuorumTX transaction manager (its log in the test's temporary directory) and several H2
 * file databases, each wrapped in a {@link TransactionalDataSource} of the given style with its
 * own {@link Faults}. Closing it closes everything it opened, newest first.
 */
public final class BankCluster implements AutoCloseable {
    private final QuorumTransactionManager tm;
    private final List<H2Bank> banks = new ArrayList<>();
    private final List<Faults> faults = new ArrayList<>();
    private final List<TransactionalDataSource> dataSources = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private BankCluster(Path directory, WrappingStyle style, int databases, int accounts, int poolSize,
                        String nodeId) throws Exception {
        tm = QuorumTransactionManager.builder()
                .nodeId(nodeId)
                .logDirectory(directory.resolve("tx-log"))
                .defaultTimeout(Duration.ofSeconds(30))
                // Short intervals keep the timeout and phase-2 retry tests fast.
                .reaperInterval(Duration.ofMillis(100))
                .phase2Retry(Duration.ofMillis(50), Duration.ofMillis(500))
                .build();
        closeables.add(tm);
        try {
            for (int i = 0; i < databases; i++) {
                H2Bank bank = new H2Bank(directory, "bank-" + (char) ('a' + i), accounts);
                Faults f = new Faults();
                TransactionalDataSource ds = style.wrap(tm, bank, f, poolSize, closeables);
                closeables.add(ds);
                banks.add(bank);
                faults.add(f);
                dataSources.add(ds);
            }
        } catch (Exception e) {
            try {
                close();
            } catch (IllegalStateException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    public static BankCluster start(Path directory, WrappingStyle style, int databases) throws Exception {
        return new BankCluster(directory, style, databases, 10, 4, "it");
    }

    public static BankCluster start(Path directory, WrappingStyle style, int databases, int accounts, int poolSize)
            throws Exception {
        return new BankCluster(directory, style, databases, accounts, poolSize, "it");
    }

    /** Two managers running at once must never share a node id. */
    public static BankCluster start(Path directory, WrappingStyle style, int databases, String nodeId)
            throws Exception {
        return new BankCluster(directory, style, databases, 10, 4, nodeId);
    }

    public QuorumTransactionManager tm() {
        return tm;
    }

    public H2Bank bank(int i) {
        return banks.get(i);
    }

    public Faults faults(int i) {
        return faults.get(i);
    }

    public TransactionalDataSource dataSource(int i) {
        return dataSources.get(i);
    }

    public int size() {
        return banks.size();
    }

    /** Runs {@code sql} (DEBIT or CREDIT) through database {@code i}'s wrapped DataSource. */
    public void update(int i, String sql, int id, long amount) throws SQLException {
        try (Connection c = dataSources.get(i).getConnection()) {
            H2Bank.update(c, sql, id, amount);
        }
    }

    /** Sum of all balances over every database. */
    public long total() throws SQLException {
        long sum = 0;
        for (H2Bank b : banks) {
            sum += b.total();
        }
        return sum;
    }

    public long initialTotal() {
        return banks.stream().mapToLong(H2Bank::initialTotal).sum();
    }

    public long inDoubt() throws SQLException {
        long sum = 0;
        for (H2Bank b : banks) {
            sum += b.inDoubt();
        }
        return sum;
    }

    @Override
    public void close() {
        IllegalStateException failure = null;
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("could not close the test cluster cleanly", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        closeables.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
