package io.quorumtx.it.messaging;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.mariadb.jdbc.MariaDbDataSource;
import org.postgresql.xa.PGXADataSource;

import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.messaging.MessageId;
import io.quorumtx.messaging.Outbox;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.ExternalDatabases.Server;
import io.quorumtx.tm.QuorumTransactionManager;

/**
 * The application under test, in the test's own JVM: each transaction writes one row into a table
 * of PostgreSQL {@code quorumtx_a} and one into MariaDB {@code quorumtx_b}, and sends one message
 * through the outbox in PostgreSQL, then commits — or, when told to, rolls back. One thread, so
 * the commit order of a key's messages is the order of their transaction numbers, which is what
 * the consumer's order check compares against.
 *
 * <p>The payload is {@code key,txNo,commit|rollback}: the consumer can tell a message that must
 * never arrive (the transaction rolled back) from its content alone.
 */
final class Producer implements AutoCloseable {
    private final QuorumTransactionManager tm;
    private final TransactionalDataSource a;
    private final TransactionalDataSource b;
    private final Outbox outbox;
    private final String prefix;
    private final String destination;
    private final List<Sent> sent = new ArrayList<>();
    private int next;

    /** One message of one transaction, as the producer saw it end. */
    record Sent(int txNo, String key, String messageId, boolean committed) {
    }

    /**
     * @param prefix      the run's unique table prefix ({@code msgk_<hex>}), so runs never see each other
     * @param destination where the messages go (the broker's queue or subject)
     */
    Producer(Path logDirectory, String prefix, String destination) throws Exception {
        this.prefix = prefix;
        this.destination = destination;
        this.tm = QuorumTransactionManager.builder()
                .nodeId(prefix.replace('_', '-'))
                .logDirectory(logDirectory)
                .defaultTimeout(Duration.ofSeconds(30))
                .build();
        PGXADataSource pg = new PGXADataSource();
        pg.setUrl(Server.POSTGRESQL.url(ExternalDatabases.DATABASE_A));
        pg.setUser(ExternalDatabases.appUser().user());
        pg.setPassword(ExternalDatabases.appUser().password());
        MariaDbDataSource maria = new MariaDbDataSource(Server.MARIADB.url(ExternalDatabases.DATABASE_B));
        maria.setUser(ExternalDatabases.appUser().user());
        maria.setPassword(ExternalDatabases.appUser().password());
        this.a = TransactionalDataSource.builder(tm).name("msgk-a").xaDataSource(pg).maximumPoolSize(2).build();
        this.b = TransactionalDataSource.builder(tm).name("msgk-b").xaDataSource(maria).maximumPoolSize(2).build();
        try (Connection c = Server.POSTGRESQL.open(ExternalDatabases.DATABASE_A, ExternalDatabases.appUser());
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + prefix + "_debit (tx INT PRIMARY KEY)");
        }
        try (Connection c = Server.MARIADB.open(ExternalDatabases.DATABASE_B, ExternalDatabases.appUser());
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + prefix + "_credit (tx INT PRIMARY KEY)");
        }
        this.outbox = Outbox.builder(a).table(outboxTable(prefix)).build();
        outbox.createTables();
    }

    static String outboxTable(String prefix) {
        return prefix + "_outbox";
    }

    /** Runs one transaction; {@code commit == false} rolls it back after everything was written and sent. */
    Sent transfer(String key, boolean commit) throws Exception {
        int txNo = ++next;
        String payload = key + "," + txNo + "," + (commit ? "commit" : "rollback");
        tm.begin();
        MessageId id;
        try {
            try (Connection ca = a.getConnection(); PreparedStatement ps = ca.prepareStatement(
                    "INSERT INTO " + prefix + "_debit (tx) VALUES (?)")) {
                ps.setInt(1, txNo);
                ps.executeUpdate();
            }
            try (Connection cb = b.getConnection(); PreparedStatement ps = cb.prepareStatement(
                    "INSERT INTO " + prefix + "_credit (tx) VALUES (?)")) {
                ps.setInt(1, txNo);
                ps.executeUpdate();
            }
            id = outbox.send(destination, key, payload.getBytes(StandardCharsets.UTF_8), Map.of("tx", "" + txNo));
        } catch (Exception | Error e) {
            tm.rollback();
            throw e;
        }
        if (commit) {
            tm.commit();
        } else {
            tm.rollback();
        }
        Sent s = new Sent(txNo, key, id.toString(), commit);
        sent.add(s);
        return s;
    }

    List<Sent> sent() {
        return List.copyOf(sent);
    }

    /** Rows left in the outbox: 0 once the relays have published (and deleted) everything committed. */
    int outboxRows() throws SQLException {
        return count(Server.POSTGRESQL, ExternalDatabases.DATABASE_A, outboxTable(prefix));
    }

    /** The transaction numbers whose rows both databases hold; must be exactly the committed ones. */
    Set<Integer> committedInBothDatabases() throws SQLException {
        Set<Integer> inA = txNumbers(Server.POSTGRESQL, ExternalDatabases.DATABASE_A, prefix + "_debit");
        Set<Integer> inB = txNumbers(Server.MARIADB, ExternalDatabases.DATABASE_B, prefix + "_credit");
        if (!inA.equals(inB)) {
            throw new AssertionError("the two databases disagree: A " + inA + ", B " + inB);
        }
        return inA;
    }

    private static Set<Integer> txNumbers(Server server, String db, String table) throws SQLException {
        Set<Integer> out = new HashSet<>();
        try (Connection c = server.open(db, ExternalDatabases.appUser()); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT tx FROM " + table)) {
            while (rs.next()) {
                out.add(rs.getInt(1));
            }
        }
        return out;
    }

    private static int count(Server server, String db, String table) throws SQLException {
        try (Connection c = server.open(db, ExternalDatabases.appUser()); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Closes the manager and pools and drops this run's tables. */
    @Override
    public void close() throws SQLException {
        try {
            b.close();
            a.close();
            tm.close();
        } finally {
            try (Connection c = Server.POSTGRESQL.open(ExternalDatabases.DATABASE_A, ExternalDatabases.appUser());
                    Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + prefix + "_debit");
                // The outbox and its companions (Outbox.createTables).
                for (String suffix : List.of("", "_keys", "_dead", "_lease", "_relays")) {
                    s.execute("DROP TABLE IF EXISTS " + outboxTable(prefix) + suffix);
                }
            }
            try (Connection c = Server.MARIADB.open(ExternalDatabases.DATABASE_B, ExternalDatabases.appUser());
                    Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + prefix + "_credit");
            }
        }
    }
}
