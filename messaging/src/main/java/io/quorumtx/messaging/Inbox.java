package io.quorumtx.messaging;

import io.quorumtx.jdbc.dialect.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The consumer's half of exactly-once: a table of the message ids a consumer has processed, in the
 * consumer's own database. {@link #firstDelivery} inserts the id on the connection the handler
 * writes with, inside the consumer's transaction (QuorumTX or a plain local one), so the handler's
 * effects and the id commit together: a re-delivered message (the relay publishes at least once)
 * finds its id and is skipped; a handler that failed rolled the id back too, so the message is
 * processed when it comes again.
 *
 * <pre>{@code
 * Inbox inbox = Inbox.builder(consumerDb).table("qtx_inbox").build();
 * inbox.createTables();
 * // for each delivery, inside the consumer's transaction on connection c:
 * inbox.processOnce(c, delivery.getProperties().getMessageId(), conn -> { apply(conn, body); return null; });
 * // commit, then acknowledge the delivery to the broker
 * }</pre>
 *
 * Duplicates are detected without a failed statement (which would abort a PostgreSQL
 * transaction): PostgreSQL {@code INSERT … ON CONFLICT DO NOTHING}, MySQL/MariaDB
 * {@code INSERT IGNORE}, H2 an INSERT whose duplicate-key error is caught (H2 keeps the transaction
 * going). Two consumers that get the same message at once: the second one's insert waits for the
 * first's transaction and then reports the duplicate (or, if the first rolled back, wins).
 *
 * <p>Rows grow with every message: {@link #deleteOlderThan} removes ids older than the broker can
 * still re-deliver (keep them longer than the relay's worst-case re-publication delay). Thread-safe.
 */
public final class Inbox {
    private final DataSource dataSource;
    private final String table;

    private Inbox(DataSource dataSource, String table) {
        this.dataSource = dataSource;
        this.table = table;
    }

    /**
     * Starts building an inbox.
     *
     * @param dataSource the consumer's database: used by {@link #createTables} and
     *     {@link #deleteOlderThan}; {@link #firstDelivery} writes on the connection it is given
     */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /** The table's name (lower case). */
    public String table() {
        return table;
    }

    /** What a handler does with a message, on the consumer's connection, inside its transaction. */
    @FunctionalInterface
    public interface Handler<T> {
        T handle(Connection connection) throws Exception;
    }

    /** Creates the inbox table if it is missing (call outside a transaction). */
    public void createTables() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            String kind = OutboxSql.kindOf(Dialect.of(c));
            Outbox.createTables(c, List.of("CREATE TABLE IF NOT EXISTS " + table + " (message_id VARCHAR("
                    + MessageId.MAX_LENGTH + ") NOT NULL PRIMARY KEY, received_ms BIGINT NOT NULL)"
                    + (kind.equals("mysql") ? " ENGINE=InnoDB" : "")));
        }
    }

    /**
     * Records {@code messageId} as processed in the transaction of {@code connection}.
     *
     * @return true the first time the id is recorded (process the message), false for a duplicate
     *     (skip it; it was processed by a transaction that committed)
     * @throws IllegalArgumentException if the id is null, empty, longer than 100 characters or not printable ASCII
     */
    public boolean firstDelivery(Connection connection, String messageId) throws SQLException {
        Objects.requireNonNull(connection, "connection must not be null");
        String id = new MessageId(Objects.requireNonNull(messageId,
                "messageId must not be null (RabbitMQ: BasicProperties.getMessageId(); NATS: header Nats-Msg-Id)")).value();
        String kind = OutboxSql.kindOf(Dialect.of(connection));
        String columns = table + " (message_id, received_ms) VALUES (?, ?)";
        String sql = switch (kind) {
            case "postgresql" -> "INSERT INTO " + columns + " ON CONFLICT (message_id) DO NOTHING";
            case "mysql" -> "INSERT IGNORE INTO " + columns;
            default -> "INSERT INTO " + columns;
        };
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, id);
            ps.setLong(2, System.currentTimeMillis());
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            if (kind.equals("h2") && OutboxSql.isDuplicateKey(e)) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Runs {@code handler} unless {@code messageId} was processed before, recording the id in the same
     * transaction. The caller commits (or rolls back) the transaction of {@code connection}.
     *
     * @return the handler's result, or empty for a duplicate (and for a handler that returned null)
     * @throws Exception what the handler threw (roll the transaction back: the id goes with it)
     */
    public <T> Optional<T> processOnce(Connection connection, String messageId, Handler<T> handler) throws Exception {
        Objects.requireNonNull(handler, "handler must not be null");
        if (!firstDelivery(connection, messageId)) {
            return Optional.empty();
        }
        return Optional.ofNullable(handler.handle(connection));
    }

    /**
     * Deletes the ids recorded more than {@code age} ago (by this JVM's clock), in auto-commit.
     *
     * @return how many were deleted
     */
    public int deleteOlderThan(Duration age) throws SQLException {
        if (age == null || age.isNegative()) {
            throw new IllegalArgumentException("age must be zero or positive, was " + age);
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE received_ms < ?")) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            ps.setLong(1, System.currentTimeMillis() - age.toMillis());
            return ps.executeUpdate();
        }
    }

    /** Settings, validated at {@link #build()}. */
    public static final class Builder {
        private final DataSource dataSource;
        private String table = "qtx_inbox";

        private Builder(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        /** The inbox table (default {@code qtx_inbox}): 1 to 50 characters of [A-Za-z0-9_]. */
        public Builder table(String table) {
            this.table = table;
            return this;
        }

        public Inbox build() {
            Objects.requireNonNull(dataSource, "the inbox's DataSource must not be null");
            return new Inbox(dataSource, OutboxSql.validTable("Inbox", table));
        }
    }
}
