package io.quorumtx.it.messaging;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.postgresql.ds.PGSimpleDataSource;

import io.quorumtx.messaging.Inbox;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.ExternalDatabases.Server;

/**
 * The consumer's side: its own database (PostgreSQL {@code quorumtx_b}) where each message's
 * effect is one row of {@code <prefix>_processed}, written in a local transaction together with
 * the message's inbox row ({@link Inbox#firstDelivery}), so a message delivered twice has its
 * effect once. It also remembers every raw delivery, duplicates included, to show what the
 * broker handed over before the inbox filtered it.
 *
 * <p>Deliveries come from one thread at a time (the broker client's), in the broker's order.
 */
final class ConsumerLedger implements AutoCloseable {
    private final String prefix;
    private final PGSimpleDataSource db;
    private final Inbox inbox;
    private final List<Delivery> deliveries = new ArrayList<>(); // guarded by this

    ConsumerLedger(String prefix) throws SQLException {
        this.prefix = prefix;
        this.db = new PGSimpleDataSource();
        db.setUrl(Server.POSTGRESQL.url(ExternalDatabases.DATABASE_B));
        db.setUser(ExternalDatabases.appUser().user());
        db.setPassword(ExternalDatabases.appUser().password());
        this.inbox = Inbox.builder(db).table(prefix + "_inbox").build();
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + prefix + "_processed (seq BIGSERIAL PRIMARY KEY, message_id VARCHAR(200)"
                    + " NOT NULL, msg_key VARCHAR(50) NOT NULL, tx INT NOT NULL, from_commit BOOLEAN NOT NULL)");
        }
        inbox.createTables();
    }

    /** Handles one delivery: the effect and the inbox row commit together, or neither does. */
    void handle(Delivery d) throws SQLException {
        synchronized (this) {
            deliveries.add(d);
        }
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                if (inbox.firstDelivery(c, d.messageId())) {
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + prefix
                            + "_processed (message_id, msg_key, tx, from_commit) VALUES (?, ?, ?, ?)")) {
                        ps.setString(1, d.messageId());
                        ps.setString(2, d.key());
                        ps.setInt(3, d.txNo());
                        ps.setBoolean(4, d.fromCommit());
                        ps.executeUpdate();
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    synchronized List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    /** The processed effects, in processing order: the consumer's database is the judge of "exactly once". */
    List<Delivery> processed() throws SQLException {
        List<Delivery> out = new ArrayList<>();
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT message_id, msg_key, tx, from_commit FROM " + prefix
                        + "_processed ORDER BY seq")) {
            while (rs.next()) {
                out.add(new Delivery(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getBoolean(4)));
            }
        }
        return out;
    }

    int processedCount() throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + prefix + "_processed")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Per key, the transaction numbers in the order the consumer processed them. */
    Map<String, List<Integer>> processedOrderByKey() throws SQLException {
        Map<String, List<Integer>> byKey = new LinkedHashMap<>();
        for (Delivery d : processed()) {
            byKey.computeIfAbsent(d.key(), k -> new ArrayList<>()).add(d.txNo());
        }
        return byKey;
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + prefix + "_processed");
            s.execute("DROP TABLE IF EXISTS " + prefix + "_inbox");
        }
    }
}
