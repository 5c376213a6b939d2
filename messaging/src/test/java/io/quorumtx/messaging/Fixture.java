package io.quorumtx.messaging;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * One test's world: a transaction manager, the outbox's database (H2, PostgreSQL or MariaDB) and a
 * second database (H2) both wrapped for QuorumTX, an {@code accounts} table in each, and an outbox
 * with fresh table names; everything dropped and closed at the end.
 */
final class Fixture implements AutoCloseable {
    enum Db {
        H2, POSTGRESQL, MARIADB
    }

    final Db db;
    final QuorumTransactionManager tm;
    /** The outbox's database: plain (for the relay and checks) and enlisted (for the sender). */
    final HikariDataSource plain;
    final TransactionalDataSource enlisted;
    /** The second database of the transaction. */
    final HikariDataSource sidePlain;
    final TransactionalDataSource side;
    final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    final String table = "qtx_ob_" + suffix;
    final String accounts = "acct_" + suffix;
    final Outbox outbox;
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<String> inboxes = new ArrayList<>();

    Fixture(Path dir, Db db) throws SQLException {
        this.db = db;
        this.plain = pool(db, dir.resolve("outboxdb"));
        this.sidePlain = pool(Db.H2, dir.resolve("sidedb"));
        this.tm = QuorumTransactionManager.builder().nodeId("msg-" + suffix.substring(0, 4))
                .logDirectory(dir.resolve("txlog")).defaultTimeout(Duration.ofSeconds(60)).build();
        this.enlisted = TransactionalDataSource.builder(tm).name("outboxdb").dataSource(plain).dialect(dialect(db))
                .build();
        this.side = TransactionalDataSource.builder(tm).name("sidedb").dataSource(sidePlain).dialect(Dialect.h2()).build();
        for (HikariDataSource p : List.of(plain, sidePlain)) {
            execute(p, "CREATE TABLE " + accounts + " (id VARCHAR(40) PRIMARY KEY, balance BIGINT NOT NULL)");
        }
        this.outbox = Outbox.builder(enlisted).table(table).build();
        outbox.createTables();
    }

    private static Dialect dialect(Db db) {
        return switch (db) {
            case H2 -> Dialect.h2();
            case POSTGRESQL -> Dialect.postgresql();
            case MARIADB -> Dialect.mysql();
        };
    }

    static HikariDataSource pool(Db db, Path file) {
        HikariConfig config = new HikariConfig();
        switch (db) {
            case H2 -> {
                config.setJdbcUrl("jdbc:h2:file:" + file.toAbsolutePath() + ";WRITE_DELAY=0;LOCK_TIMEOUT=20000");
                config.setUsername("sa");
            }
            case POSTGRESQL -> config.setJdbcUrl(ExternalDatabases.postgresql().url());
            case MARIADB -> config.setJdbcUrl(ExternalDatabases.mariadb().url());
        }
        config.setMaximumPoolSize(db == Db.H2 ? 16 : 8);
        config.setConnectionTimeout(30_000);
        config.setPoolName("msg-" + db.name().toLowerCase(Locale.ROOT));
        return new HikariDataSource(config);
    }

    /** A relay builder on this outbox with short test timings. */
    OutboxRelay.Builder relay(MessagePublisher publisher) {
        return OutboxRelay.builder(plain, publisher).table(table).pollInterval(Duration.ofMillis(20))
                .maxBackoff(Duration.ofMillis(400)).lease(Duration.ofSeconds(3)).partitions(4);
    }

    <T extends AutoCloseable> T closeAtEnd(T resource) {
        open.add(resource);
        return resource;
    }

    /** An inbox in the side database, dropped at the end. */
    Inbox inbox() throws SQLException {
        String name = "qtx_in_" + suffix + inboxes.size();
        inboxes.add(name);
        Inbox inbox = Inbox.builder(sidePlain).table(name).build();
        inbox.createTables();
        return inbox;
    }

    /** Debits {@code id} in the outbox's database and credits it in the side database, in the current transaction. */
    void transfer(String id, long amount) throws SQLException {
        try (Connection c = enlisted.getConnection()) {
            insert(c, id, -amount);
        }
        try (Connection c = side.getConnection()) {
            insert(c, id, amount);
        }
    }

    private void insert(Connection c, String id, long balance) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + accounts + " (id, balance) VALUES (?, ?)")) {
            ps.setString(1, id);
            ps.setLong(2, balance);
            ps.executeUpdate();
        }
    }

    long count(HikariDataSource pool, String sqlTable) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + sqlTable)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void execute(HikariDataSource pool, String sql) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @Override
    public void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        for (String t : List.of(table, table + "_keys", table + "_dead", table + "_lease", table + "_relays", accounts)) {
            execute(plain, "DROP TABLE IF EXISTS " + t);
        }
        execute(sidePlain, "DROP TABLE IF EXISTS " + accounts);
        for (String t : inboxes) {
            execute(sidePlain, "DROP TABLE IF EXISTS " + t);
        }
        enlisted.close();
        side.close();
        tm.close();
        plain.close();
        sidePlain.close();
    }
}
