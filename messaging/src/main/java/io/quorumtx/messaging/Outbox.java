package io.quorumtx.messaging;

import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.tm.QuorumTransactionManager;
import jakarta.transaction.Status;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The sending side of "messages in the same transaction": {@link #send} writes a message into an
 * outbox table of one of the transaction's own databases, through that database's enlisted
 * {@link TransactionalDataSource}. The INSERT is part of the database's branch, so the message
 * commits exactly when the databases do — no prepare of a broker, no in-doubt broker state — and a
 * rollback leaves no message. An {@link OutboxRelay} publishes committed messages afterwards.
 *
 * <pre>{@code
 * Outbox outbox = Outbox.builder(ordersDb).table("qtx_outbox").build();   // ordersDb: a TransactionalDataSource
 * outbox.createTables();                                                  // once, outside a transaction
 * tm.begin();
 * try (Connection c = ordersDb.getConnection()) { ... insert the order ... }
 * outbox.send("orders/order.placed", orderId, json, Map.of("type", "OrderPlaced"));
 * tm.commit();                                                            // the order and the message, or neither
 * }</pre>
 *
 * <h2>Order per key is commit order</h2>
 * Each key has a row in {@code <table>_keys}; {@code send} increments it (an upsert) and stores the
 * result as the message's {@code key_seq}. The row stays locked until the sender's transaction
 * commits or rolls back, so a second transaction sending on the same key waits at its {@code send}
 * and then reads the committed number: sequence numbers follow commit order, with no gaps (a rolled
 * back number is taken again by the next sender). The relay publishes each key's messages in
 * {@code key_seq} order. The price is that transactions sending on one key are serialised from their
 * {@code send} to their commit — pick keys as fine as the order you need (an order id, not "orders");
 * a key spread over many transactions at once is a hot row, and on MySQL/MariaDB concurrent first
 * sends of a new key can end in a deadlock error (the transaction rolls back; retry it).
 *
 * <p>Thread-safe; holds no connection of its own.
 */
public final class Outbox {
    /** The payload limit unless {@link Builder#maxPayloadBytes} sets another (NATS's default max_payload). */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

    private final DataSource dataSource;
    private final QuorumTransactionManager transactionManager;
    private final String table;
    private final int maxPayloadBytes;
    private static final int KNOWN_KEYS_LIMIT = 100_000;
    /** MySQL/MariaDB: keys whose sequence row is known to exist (rows are never deleted). */
    private final java.util.Set<String> knownKeys = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Read from the first connection's metadata. */
    private volatile OutboxSql sql;

    private Outbox(Builder b, QuorumTransactionManager transactionManager) {
        this.dataSource = b.dataSource;
        this.transactionManager = transactionManager;
        this.table = b.table;
        this.maxPayloadBytes = b.maxPayloadBytes;
    }

    /**
     * Starts building an outbox.
     *
     * @param enlisted the QuorumTX-wrapped DataSource of one of the transaction's databases (a
     *     {@link TransactionalDataSource}, or a DataSource that unwraps to one): the outbox INSERT
     *     becomes a statement of that database's branch
     */
    public static Builder builder(DataSource enlisted) {
        return new Builder(enlisted);
    }

    /** The outbox table's name (lower case); the relay and {@link #createTables} use its suffixed companions. */
    public String table() {
        return table;
    }

    /**
     * Writes a message into the outbox as part of the current transaction, and returns its id.
     * It is published after the transaction commits, never if it rolls back.
     *
     * @param destination where the publisher sends it (RabbitMQ {@code exchange/routingKey}, JetStream
     *     subject): 1 to 255 characters
     * @param key the ordering key (1 to 255 characters): messages of one key are published in the
     *     order their transactions committed
     * @param payload the body, at most {@link Builder#maxPayloadBytes} bytes (copied)
     * @param headers application headers (names 1 to 200 characters; null means none)
     * @throws IllegalStateException if no QuorumTX transaction is active on this thread (or it is
     *     marked for rollback)
     * @throws IllegalArgumentException for a null, empty or oversized argument
     * @throws SQLException if the database refused the write (the transaction should roll back)
     */
    public MessageId send(String destination, String key, byte[] payload, Map<String, String> headers)
            throws SQLException {
        checkText("destination", destination, OutboxSql.MAX_DESTINATION_LENGTH);
        checkText("key", key, OutboxSql.MAX_KEY_LENGTH);
        Objects.requireNonNull(payload, "payload must not be null (send an empty array for an empty body)");
        if (payload.length > maxPayloadBytes) {
            throw new IllegalArgumentException("payload is " + payload.length + " bytes, more than the outbox's "
                    + maxPayloadBytes + " (maxPayloadBytes; the broker's own limit applies too)");
        }
        Map<String, String> copy = checkHeaders(headers);
        requireActiveTransaction();
        MessageId id = MessageId.random();
        try (Connection c = dataSource.getConnection()) {
            OutboxSql s = sql(c);
            long seq = nextKeySeq(c, s, key);
            try (PreparedStatement ps = c.prepareStatement(s.insertMessage())) {
                ps.setString(1, id.value());
                ps.setString(2, destination);
                ps.setString(3, key);
                ps.setLong(4, seq);
                ps.setInt(5, keyHash(key));
                ps.setBytes(6, payload.clone());
                ps.setString(7, HeaderCodec.encode(copy));
                ps.setLong(8, System.currentTimeMillis());
                ps.executeUpdate();
            }
        }
        return id;
    }

    /**
     * Creates the outbox's tables if they are missing: {@code <table>}, {@code _keys}, {@code _dead},
     * {@code _lease}, {@code _relays} (DDL per database in the README). Idempotent; call it outside a
     * transaction (DDL commits implicitly on H2 and MySQL/MariaDB).
     *
     * @throws IllegalStateException if called inside a transaction
     */
    public void createTables() throws SQLException {
        if (transactionManager.getTransaction() != null) {
            throw new IllegalStateException("Outbox.createTables() must run outside a transaction: DDL would commit"
                    + " the transaction's work on H2 and MySQL/MariaDB");
        }
        try (Connection c = dataSource.getConnection()) {
            createTables(c, sql(c).createTables());
        }
    }

    /** Runs idempotent DDL in auto-commit; a concurrent creator's win (a duplicate error) is success. */
    static void createTables(Connection c, Iterable<String> ddl) throws SQLException {
        boolean auto = c.getAutoCommit();
        if (!auto) {
            c.setAutoCommit(true);
        }
        try (Statement st = c.createStatement()) {
            for (String statement : ddl) {
                try {
                    st.execute(statement);
                } catch (SQLException e) {
                    // PostgreSQL: two CREATE TABLE IF NOT EXISTS at once can fail with 23505 on pg_type.
                    if (!OutboxSql.isDuplicateKey(e) && !"42P07".equals(e.getSQLState())) {
                        throw e;
                    }
                }
            }
        } finally {
            if (!auto) {
                c.setAutoCommit(false);
            }
        }
    }

    /**
     * The partition hash of a key: non-negative, the same in every JVM (String.hashCode is specified),
     * stored with the message so relays can filter by {@code MOD(key_hash, partitions)}.
     */
    static int keyHash(String key) {
        return key.hashCode() & 0x7fffffff;
    }

    private long nextKeySeq(Connection c, OutboxSql s, String key) throws SQLException {
        if (s.upsertReturnsKeySeq()) {
            try (PreparedStatement ps = c.prepareStatement(s.upsertKeySeq())) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        }
        if (s.isMysql()) {
            ensureKeyRow(c, s, key);
            if (update(c, s.incrementKeySeq(), key) != 1) {
                throw new SQLException("The sequence row of key '" + key + "' is missing from " + s.keys);
            }
            return readKeySeq(c, s, key);
        }
        // H2: a failed statement does not end the transaction, so a lost race for a new
        // key's row (duplicate key: the other sender inserted it) is followed by the increment.
        for (int attempt = 1;; attempt++) {
            if (update(c, s.incrementKeySeq(), key) == 1) {
                break;
            }
            try {
                update(c, s.insertKeySeq(), key);
                break;
            } catch (SQLException e) {
                if (!OutboxSql.isDuplicateKey(e) || attempt >= 3) {
                    throw e;
                }
            }
        }
        return readKeySeq(c, s, key);
    }

    private static long readKeySeq(Connection c, OutboxSql s, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(s.readKeySeq())) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("The sequence row of key '" + key + "' vanished from " + s.keys);
                }
                return rs.getLong(1);
            }
        }
    }

    /** MySQL/MariaDB: see {@link OutboxSql#insertKeyRowIfAbsent()} for why the row is made outside the transaction. */
    private void ensureKeyRow(Connection c, OutboxSql s, String key) throws SQLException {
        if (knownKeys.contains(key)) {
            return;
        }
        boolean exists;
        try (PreparedStatement ps = c.prepareStatement(s.keyExists())) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                exists = rs.next();
            }
        }
        if (!exists) {
            jakarta.transaction.Transaction suspended = transactionManager.suspend();
            try (Connection outside = dataSource.getConnection()) {
                if (!outside.getAutoCommit()) {
                    outside.setAutoCommit(true);
                }
                update(outside, s.insertKeyRowIfAbsent(), key);
            } finally {
                try {
                    transactionManager.resume(suspended);
                } catch (jakarta.transaction.InvalidTransactionException e) {
                    throw new SQLException("could not resume the sender's transaction after creating the row of key '"
                            + key + "'", e);
                }
            }
        }
        if (knownKeys.size() >= KNOWN_KEYS_LIMIT) {
            knownKeys.clear(); // a cache only: rows are never deleted, so forgetting costs one SELECT
        }
        knownKeys.add(key);
    }

    private static int update(Connection c, String sql, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, key);
            return ps.executeUpdate();
        }
    }

    private void requireActiveTransaction() {
        int status = transactionManager.getStatus();
        if (status == Status.STATUS_ACTIVE) {
            return;
        }
        if (status == Status.STATUS_NO_TRANSACTION) {
            throw new IllegalStateException("Outbox.send needs an active QuorumTX transaction on this thread (call"
                    + " tm.begin() first): without one the message would not commit with the databases");
        }
        throw new IllegalStateException("Outbox.send needs an active transaction; this thread's transaction has"
                + " status " + status + " (jakarta.transaction.Status; 1 = marked for rollback)");
    }

    private OutboxSql sql(Connection c) throws SQLException {
        OutboxSql s = sql;
        if (s == null) {
            s = OutboxSql.of(Dialect.of(c), table);
            sql = s;
        }
        return s;
    }

    static void checkText(String what, String value, int max) {
        if (value == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        if (value.isEmpty() || value.length() > max) {
            throw new IllegalArgumentException(what + " must be 1 to " + max + " characters, was " + value.length());
        }
    }

    private static Map<String, String> checkHeaders(Map<String, String> headers) {
        if (headers == null) {
            return Map.of();
        }
        int total = 0;
        for (Map.Entry<String, String> e : headers.entrySet()) {
            checkText("header name", e.getKey(), 200);
            if (e.getValue() == null) {
                throw new IllegalArgumentException("header '" + e.getKey() + "' has a null value");
            }
            total += e.getKey().length() + e.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        if (total > 64 * 1024) {
            throw new IllegalArgumentException("headers are " + total + " bytes, more than 65536");
        }
        return Map.copyOf(headers);
    }

    /** Settings, validated at {@link #build()}. */
    public static final class Builder {
        private final DataSource dataSource;
        private String table = "qtx_outbox";
        private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;

        private Builder(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        /** The outbox table (default {@code qtx_outbox}): 1 to 50 characters of [A-Za-z0-9_]. */
        public Builder table(String table) {
            this.table = table;
            return this;
        }

        /** The largest payload {@link #send} accepts (default 1 MiB). */
        public Builder maxPayloadBytes(int maxPayloadBytes) {
            this.maxPayloadBytes = maxPayloadBytes;
            return this;
        }

        /**
         * Validates the settings and builds the outbox.
         *
         * @throws IllegalArgumentException if the DataSource is not a QuorumTX TransactionalDataSource,
         *     or a setting is out of range (the message names it)
         */
        public Outbox build() {
            Objects.requireNonNull(dataSource, "the outbox's DataSource must not be null");
            TransactionalDataSource enlisted;
            try {
                enlisted = dataSource.unwrap(TransactionalDataSource.class);
            } catch (SQLException e) {
                throw new IllegalArgumentException("Outbox.builder needs the QuorumTX TransactionalDataSource of one"
                        + " of the transaction's databases (so the INSERT joins the transaction); " + dataSource
                        + " is not one and does not unwrap to one", e);
            }
            table = OutboxSql.validTable("Outbox", table);
            if (maxPayloadBytes < 1) {
                throw new IllegalArgumentException("maxPayloadBytes must be at least 1, was " + maxPayloadBytes);
            }
            return new Outbox(this, enlisted.transactionManager());
        }
    }
}
