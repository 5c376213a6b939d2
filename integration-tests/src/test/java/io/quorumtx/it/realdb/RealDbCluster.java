package io.quorumtx.it.realdb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.quorumtx.it.support.FaultInjectingDataSource;
import io.quorumtx.it.support.FaultInjectingXADataSource;
import io.quorumtx.it.support.Faults;
import io.quorumtx.it.support.WrappingStyle;
import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.QuorumTransactionManagerBuilder;

/**
 * One QuorumTX transaction manager and the banks of a {@link Topology}, each wrapped in a
 * {@link TransactionalDataSource} of the given style with its own {@link Faults}: style XA wraps
 * the driver's XADataSource, style DIALECT a plain HikariCP pool plus the database's dialect.
 *
 * <p>The manager's node id is unique per cluster, so the prepared branches a test inspects (and
 * cleans up) are its own even when other runs share the servers. Closing the cluster closes the
 * manager and the pools, then rolls back any branch of this node still prepared and drops the
 * tables: a failed test leaves nothing behind on a shared server.
 */
final class RealDbCluster implements AutoCloseable {
    private final String nodeId;
    private final boolean ownsBanks;
    private final QuorumTransactionManager tm;
    private final List<Bank> banks = new ArrayList<>();
    private final List<Faults> faults = new ArrayList<>();
    private final List<TransactionalDataSource> dataSources = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private RealDbCluster(List<Bank> banks, boolean ownsBanks, String nodeId, Path logDirectory, WrappingStyle style,
                          int poolSize, UnaryOperator<QuorumTransactionManagerBuilder> settings) throws Exception {
        this.banks.addAll(banks);
        this.ownsBanks = ownsBanks;
        this.nodeId = nodeId;
        try {
            QuorumTransactionManagerBuilder builder = QuorumTransactionManager.builder().nodeId(nodeId);
            if (logDirectory != null) { // else the settings configure the replicated log
                builder.logDirectory(logDirectory);
            }
            tm = settings.apply(builder
                    .defaultTimeout(Duration.ofSeconds(30))
                    // Short intervals keep the timeout and phase-2 retry tests fast.
                    .reaperInterval(Duration.ofMillis(100))
                    .phase2Retry(Duration.ofMillis(50), Duration.ofMillis(500)))
                    .build();
            closeables.add(tm);
            for (Bank bank : banks) {
                Faults f = new Faults();
                TransactionalDataSource ds = wrap(style, bank, f, poolSize);
                closeables.add(ds);
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

    static RealDbCluster start(Path directory, Topology topology, WrappingStyle style) throws Exception {
        return start(directory, topology, style, 10, 4);
    }

    /** Fresh tables in every database of {@code topology}, and a manager with a node id of its own. */
    static RealDbCluster start(Path directory, Topology topology, WrappingStyle style, int accounts, int poolSize)
            throws Exception {
        String nodeId = "rdb-" + UUID.randomUUID().toString().substring(0, 8);
        return new RealDbCluster(topology.open(directory, accounts), true, nodeId, directory.resolve("tx-log"), style,
                poolSize, b -> b);
    }

    /**
     * A manager on existing banks (a crash test's child, or the restarted application recovering
     * it). The banks stay as they are on close: their owner cleans them up.
     */
    static RealDbCluster attach(List<Bank> banks, String nodeId, Path logDirectory, WrappingStyle style, int poolSize,
                                UnaryOperator<QuorumTransactionManagerBuilder> settings) throws Exception {
        return new RealDbCluster(banks, false, nodeId, logDirectory, style, poolSize, settings);
    }

    private TransactionalDataSource wrap(WrappingStyle style, Bank bank, Faults f, int poolSize) {
        TransactionalDataSource.Builder builder = TransactionalDataSource.builder(tm).name(bank.name());
        if (style == WrappingStyle.XA) {
            return builder.xaDataSource(new FaultInjectingXADataSource(bank.xaDataSource(), f))
                    .maximumPoolSize(poolSize).minimumIdle(1).build();
        }
        HikariConfig config = new HikariConfig();
        config.setPoolName("rdb-" + bank.name());
        config.setDataSource(new FaultInjectingDataSource(bank.plainDataSource(), f));
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(1);
        HikariDataSource hikari = new HikariDataSource(config);
        closeables.add(hikari);
        return builder.dataSource(hikari).dialect(bank.dialect()).build();
    }

    QuorumTransactionManager tm() {
        return tm;
    }

    String nodeId() {
        return nodeId;
    }

    Bank bank(int i) {
        return banks.get(i);
    }

    Faults faults(int i) {
        return faults.get(i);
    }

    TransactionalDataSource dataSource(int i) {
        return dataSources.get(i);
    }

    int size() {
        return banks.size();
    }

    /** Adds {@code amount} (negative: takes it) to account {@code id} of bank {@code i}, through its wrapped DataSource. */
    void credit(int i, int id, long amount) throws SQLException {
        try (Connection c = dataSources.get(i).getConnection();
             PreparedStatement ps = c.prepareStatement(banks.get(i).creditSql())) {
            ps.setLong(1, amount);
            ps.setInt(2, id);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("no account " + id + " in " + banks.get(i));
            }
        }
    }

    /** Writes {@code gtrid} to the journal of bank {@code i}, through its wrapped DataSource. */
    void journal(int i, String gtrid) throws SQLException {
        try (Connection c = dataSources.get(i).getConnection();
             PreparedStatement ps = c.prepareStatement(banks.get(i).journalSql())) {
            ps.setString(1, gtrid);
            ps.executeUpdate();
        }
    }

    void debit(int i, int id, long amount) throws SQLException {
        credit(i, id, -amount);
    }

    long total() throws SQLException {
        long sum = 0;
        for (Bank b : banks) {
            sum += b.total();
        }
        return sum;
    }

    long initialTotal() {
        return banks.stream().mapToLong(Bank::initialTotal).sum();
    }

    /** Every branch of this cluster's transactions still prepared in any bank (pg_prepared_xacts, XA RECOVER, IN_DOUBT). */
    List<String> preparedBranches() throws SQLException {
        List<String> found = new ArrayList<>();
        for (Bank b : banks) {
            found.addAll(b.preparedBranchesOf(nodeId));
        }
        return found;
    }

    @Override
    public void close() {
        IllegalStateException failure = null;
        for (int i = closeables.size() - 1; i >= 0; i--) {
            failure = attempt(closeables.get(i)::close, failure);
        }
        closeables.clear();
        if (ownsBanks) {
            for (Bank b : banks) {
                failure = attempt(() -> b.cleanUp(nodeId), failure);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static IllegalStateException attempt(Step step, IllegalStateException failure) {
        try {
            step.run();
        } catch (Exception e) {
            if (failure == null) {
                return new IllegalStateException("could not close the test cluster cleanly", e);
            }
            failure.addSuppressed(e);
        }
        return failure;
    }
}
