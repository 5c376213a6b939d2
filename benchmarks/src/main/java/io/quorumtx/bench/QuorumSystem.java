package io.quorumtx.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.tm.BranchExecution;
import io.quorumtx.tm.CommitProtocolType;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.QuorumTransactionManagerBuilder;
import io.quorumtx.tm.log.LocalCommitLog;
import jakarta.transaction.Status;

/**
 * {@code quorumtx-xa} and {@code quorumtx-dialect}: QuorumTX as an application uses it, one
 * {@link QuorumTransactionManager} (local commit log under {@code target/bench/quorumtx}) and one
 * {@link TransactionalDataSource} per database; connections are taken and closed inside each
 * transaction, as application code does. Pools are sized to the highest thread count, like
 * Atomikos', so no client waits for a connection, plus one for QuorumTX's recovery pass.
 * <ul>
 *   <li>{@code quorumtx-xa}: over the driver's XADataSource (H2's, {@code PGXADataSource},
 *       {@code MariaDbDataSource}), pooled by the adapter's HikariCP pool;</li>
 *   <li>{@code quorumtx-dialect}: over an application-style {@link HikariDataSource} on the driver's
 *       plain DataSource, two-phase commit through the database's {@link Dialect}
 *       ({@code h2()}, {@code postgresql()}, {@code mysql()}).</li>
 * </ul>
 * The other commit logs on the same two wrappings: {@link #paxos3} (replicated), {@link #dbLog}
 * (the database log in bank A, carried by A's one-phase commit).
 */
final class QuorumSystem implements TransferSystem {
    /** The resource name of bank database A's data source (the database log's carrier). */
    static final String BANK_A = "bank-a";
    private final java.util.function.Supplier<String> logDiagnostics;
    private final AutoCloseable cluster;
    private final QuorumTransactionManager tm;
    private final TransactionalDataSource dsA;
    private final TransactionalDataSource dsB;
    private final HikariDataSource hikariA;
    private final HikariDataSource hikariB;

    private QuorumSystem(Path logDirectory, boolean xa, BankDatabase a, BankDatabase b, int threads,
            CommitProtocolType protocol) throws SQLException {
        this(local(logDirectory), xa ? "bench-xa" : "bench-dialect", xa, a, b, threads, protocol);
    }

    /** The log of a system: its manager's settings, its diagnostics, and what to close after the manager. */
    private record LogSetup(java.util.function.UnaryOperator<QuorumTransactionManagerBuilder> settings,
                            java.util.function.Supplier<String> diagnostics, AutoCloseable cluster) {
    }

    private static LogSetup local(Path logDirectory) {
        // The same local log logDirectory(...) would open, held here to report its group commit.
        LocalCommitLog log = LocalCommitLog.open(logDirectory);
        LogDiagnostics diagnostics = new LogDiagnostics(log);
        return new LogSetup(b -> b.commitLog(log), diagnostics::sinceLastCall, () -> { });
    }

    private QuorumSystem(LogSetup logSetup, String nodeId, boolean xa, BankDatabase a, BankDatabase b, int threads,
            CommitProtocolType protocol) throws SQLException {
        // One connection more than threads: QuorumTX's recovery pass borrows one from the same pool,
        // and with exactly one per thread it waited out the pool's 30 s timeout (seen at 1 thread).
        int poolSize = threads + 1;
        logDiagnostics = logSetup.diagnostics();
        cluster = logSetup.cluster();
        tm = logSetup.settings().apply(QuorumTransactionManager.builder()
                .nodeId(nodeId)
                .defaultProtocol(protocol)
                // -Dbench.branches=SERIAL|PARALLEL compares the two; AUTO is the manager's default.
                .branchExecution(BranchExecution.valueOf(System.getProperty("bench.branches", "AUTO")))
                .defaultTimeout(Duration.ofSeconds(60)))
                .build();
        if (xa) {
            hikariA = null;
            hikariB = null;
            dsA = TransactionalDataSource.builder(tm).name(BANK_A).xaDataSource(a.xaDataSource())
                    .maximumPoolSize(poolSize).build();
            dsB = TransactionalDataSource.builder(tm).name("bank-b").xaDataSource(b.xaDataSource())
                    .maximumPoolSize(poolSize).build();
        } else {
            hikariA = hikari(a, "bench-a", poolSize);
            hikariB = hikari(b, "bench-b", poolSize);
            dsA = TransactionalDataSource.builder(tm).name(BANK_A).dataSource(hikariA).dialect(a.dialect()).build();
            dsB = TransactionalDataSource.builder(tm).name("bank-b").dataSource(hikariB).dialect(b.dialect()).build();
        }
    }

    static QuorumSystem xa(Path logDirectory, BankDatabase a, BankDatabase b, int poolSize)
            throws SQLException {
        return new QuorumSystem(logDirectory, true, a, b, poolSize, CommitProtocolType.TWO_PHASE);
    }

    /**
     * {@code quorumtx-3pc}: as {@code quorumtx-xa}, every transaction committed with three-phase
     * commit (a pre-commit marker written into both databases before the branches commit).
     */
    static QuorumSystem threePhase(Path logDirectory, BankDatabase a, BankDatabase b, int poolSize)
            throws SQLException {
        return new QuorumSystem(logDirectory, true, a, b, poolSize, CommitProtocolType.THREE_PHASE);
    }

    static QuorumSystem dialect(Path logDirectory, BankDatabase a, BankDatabase b, int poolSize)
            throws SQLException {
        return new QuorumSystem(logDirectory, false, a, b, poolSize, CommitProtocolType.TWO_PHASE);
    }

    /**
     * {@code quorumtx-paxos3}: as {@code quorumtx-xa}, with the Paxos-replicated log over three
     * acceptors in three processes on loopback ({@link PaxosTrio}); this JVM is member n1.
     */
    static QuorumSystem paxos3(Path directory, BankDatabase a, BankDatabase b, int poolSize) throws Exception {
        return paxos3(directory, a, b, poolSize, CommitProtocolType.TWO_PHASE);
    }

    /** {@code quorumtx-3pc-paxos3}: {@code quorumtx-paxos3} with three-phase commit. */
    static QuorumSystem paxos3(Path directory, BankDatabase a, BankDatabase b, int poolSize,
            CommitProtocolType protocol) throws Exception {
        PaxosTrio trio = new PaxosTrio(directory);
        try {
            // The log replicatedLog(...) would open, held here to report its acceptor's batching.
            io.quorumtx.tm.paxos.ReplicatedCommitLog log = io.quorumtx.tm.paxos.ReplicatedCommitLog.open(trio.ownConfig());
            trio.ownLog(log);
            return new QuorumSystem(new LogSetup(bld -> bld.commitLog(log), trio::sinceLastCall, trio), "n1", true, a, b,
                    poolSize, protocol);
        } catch (Exception | Error e) {
            trio.close();
            throw e;
        }
    }

    /**
     * {@code quorumtx-dblog} ({@code xa} true) and {@code quorumtx-dblog-dialect}: as
     * {@code quorumtx-xa} / {@code quorumtx-dialect} with the database commit log in bank database A
     * ({@link DbLogSetup}), carried by A's {@link TransactionalDataSource}: prepare B, one-phase
     * commit of A with the COMMIT row inside it, commit B. No local log directory is used.
     */
    static QuorumSystem dbLog(boolean xa, BankDatabase a, BankDatabase b, int poolSize) throws SQLException {
        DbLogSetup setup = new DbLogSetup(a, BANK_A);
        try {
            return new QuorumSystem(new LogSetup(bld -> bld.commitLog(setup.log()), setup::sinceLastCall, setup),
                    xa ? "bench-dblog" : "bench-dblog-d", xa, a, b, poolSize, CommitProtocolType.TWO_PHASE);
        } catch (SQLException | RuntimeException e) {
            setup.log().close();
            setup.close();
            throw e;
        }
    }

    private static HikariDataSource hikari(BankDatabase db, String name, int poolSize) throws SQLException {
        HikariConfig config = new HikariConfig();
        config.setPoolName(name);
        config.setDataSource(db.dataSource());
        config.setMaximumPoolSize(poolSize);
        return new HikariDataSource(config);
    }

    @Override
    public Client newClient() {
        return (fromId, toId, amount) -> {
            tm.begin();
            try {
                try (Connection c = dsA.getConnection()) {
                    Transfers.debit(c, fromId, amount);
                }
                try (Connection c = dsB.getConnection()) {
                    Transfers.credit(c, toId, amount);
                }
            } catch (Exception e) {
                tm.rollback();
                throw e;
            }
            try {
                tm.commit();
            } finally {
                if (tm.getStatus() != Status.STATUS_NO_TRANSACTION) {
                    tm.rollback();
                }
            }
        };
    }

    @Override
    public String diagnostics() {
        return logDiagnostics.get();
    }

    @Override
    public void close() {
        dsA.close();
        dsB.close();
        if (hikariA != null) {
            hikariA.close();
            hikariB.close();
        }
        tm.close();
        try {
            cluster.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not close the benchmark's commit log set-up", e);
        }
    }
}
