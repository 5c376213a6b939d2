package io.quorumtx.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import javax.sql.DataSource;

import org.postgresql.ds.PGSimpleDataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.postgresql.xa.PGXADataSource;

import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.messaging.Outbox;
import io.quorumtx.tm.QuorumTransactionManager;
import jakarta.transaction.Status;

/**
 * The messaging benchmark's bank: PostgreSQL databases A and B ({@link DatabaseNames}, by default
 * {@code quorumtx_a}, {@code quorumtx_b}), a {@code msgbench_account} table in each, and in A the
 * {@code msgbench_transfer} table (one row per committed transfer, its id: what the kill test
 * compares with what the consumer received) and the outbox ({@code msgbench_outbox} and its
 * companions). {@link #create} makes the tables fresh; {@link #drop} removes them. Instances are
 * one QuorumTX manager (local log) with an XA {@link TransactionalDataSource} per database, as an
 * application has; the forked producers of the kill test open their own.
 */
final class MessagingBank implements AutoCloseable {
    static final String ACCOUNTS = "msgbench_account";
    static final String TRANSFERS = "msgbench_transfer";
    static final String OUTBOX = "msgbench_outbox";
    private static final List<String> OUTBOX_TABLES = List.of(OUTBOX, OUTBOX + "_keys", OUTBOX + "_dead",
            OUTBOX + "_lease", OUTBOX + "_relays");

    final QuorumTransactionManager tm;
    final TransactionalDataSource a;
    final TransactionalDataSource b;
    final Outbox outbox;

    MessagingBank(DatabaseNames names, String nodeId, Path logDirectory, int poolSize) throws SQLException {
        tm = QuorumTransactionManager.builder().nodeId(nodeId).logDirectory(logDirectory)
                .defaultTimeout(Duration.ofSeconds(60)).build();
        a = TransactionalDataSource.builder(tm).name("msgbench-a").xaDataSource(xa(names.of("a")))
                .maximumPoolSize(poolSize).build();
        b = TransactionalDataSource.builder(tm).name("msgbench-b").xaDataSource(xa(names.of("b")))
                .maximumPoolSize(poolSize).build();
        outbox = Outbox.builder(a).table(OUTBOX).build();
    }

    static String url(String database) {
        return "jdbc:postgresql://127.0.0.1:5432/" + database + "?connectTimeout=3";
    }

    private static PGXADataSource xa(String database) {
        PGXADataSource ds = new PGXADataSource();
        ds.setUrl(url(database));
        ds.setUser("postgres");
        return ds;
    }

    /** A plain pool on database A for the relay, as an application gives its relay (the caller closes it). */
    static HikariDataSource relayPool(DatabaseNames names) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("msgbench-relay");
        config.setDataSource(plainA(names));
        config.setMaximumPoolSize(2);
        return new HikariDataSource(config);
    }

    /** A plain DataSource on database A, for the checks. */
    static DataSource plainA(DatabaseNames names) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url(names.of("a")));
        ds.setUser("postgres");
        return ds;
    }

    private static DataSource plainB(DatabaseNames names) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url(names.of("b")));
        ds.setUser("postgres");
        return ds;
    }

    /** Fresh tables: accounts in A and B, transfers and the outbox in A. */
    static void create(DatabaseNames names, int accounts) throws SQLException {
        drop(names);
        for (DataSource ds : List.of(plainA(names), plainB(names))) {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE " + ACCOUNTS + " (id INT PRIMARY KEY, balance BIGINT NOT NULL)");
                s.execute("INSERT INTO " + ACCOUNTS + " SELECT g, 1000000 FROM generate_series(1, " + accounts + ") g");
            }
        }
        try (Connection c = plainA(names).getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + TRANSFERS + " (id VARCHAR(100) PRIMARY KEY)");
        }
    }

    void createOutboxTables() throws SQLException {
        outbox.createTables();
    }

    static void drop(DatabaseNames names) throws SQLException {
        try (Connection c = plainA(names).getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + ACCOUNTS);
            s.execute("DROP TABLE IF EXISTS " + TRANSFERS);
            for (String t : OUTBOX_TABLES) {
                s.execute("DROP TABLE IF EXISTS " + t);
            }
        }
        try (Connection c = plainB(names).getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + ACCOUNTS);
        }
    }

    /** The ids of the committed transfers (database A's {@code msgbench_transfer}). */
    static Set<String> committedTransfers(DatabaseNames names) throws SQLException {
        Set<String> ids = new HashSet<>();
        try (Connection c = plainA(names).getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT id FROM " + TRANSFERS)) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    static int outboxRows(DatabaseNames names) throws SQLException {
        try (Connection c = plainA(names).getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + OUTBOX)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** What runs inside the transaction besides the transfer: nothing, or {@code outbox.send}. */
    @FunctionalInterface
    interface InTransaction {
        void run() throws Exception;
    }

    /** One transfer: debit in A, credit in B, its id in A, then {@code inside}, all in one QuorumTX transaction. */
    void transfer(String id, int from, int to, InTransaction inside) throws Exception {
        tm.begin();
        try {
            try (Connection c = a.getConnection()) {
                update(c, "UPDATE " + ACCOUNTS + " SET balance = balance - 1 WHERE id = ?", from);
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TRANSFERS + " (id) VALUES (?)")) {
                    ps.setString(1, id);
                    ps.executeUpdate();
                }
            }
            try (Connection c = b.getConnection()) {
                update(c, "UPDATE " + ACCOUNTS + " SET balance = balance + 1 WHERE id = ?", to);
            }
            inside.run();
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
    }

    private static void update(Connection c, String sql, int id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, id);
            ps.executeUpdate();
        }
    }

    @Override
    public void close() {
        a.close();
        b.close();
        tm.close();
    }
}
