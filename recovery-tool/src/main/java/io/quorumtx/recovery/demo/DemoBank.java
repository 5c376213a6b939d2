package io.quorumtx.recovery.demo;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.tm.QuorumTransactionManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.h2.jdbcx.JdbcDataSource;

/**
 * The demo's bank, on disk: accounts alice and carol in H2 database {@code bank-a}, bob and dave
 * in {@code bank-b}, and a {@code transfer_log} in each that records which transfers committed
 * there. Shared by the demo's two JVMs — the one that gets killed and the one that recovers.
 *
 * <p>{@code bank-a} is wrapped from H2's {@code XADataSource}, {@code bank-b} from a plain
 * HikariCP pool plus the H2 dialect: the two ways an application hands a database to QuorumTX.
 * Both URLs have {@code WRITE_DELAY=0}, without which H2 acknowledges commits before they reach
 * the disk and a killed JVM loses them.
 */
final class DemoBank implements AutoCloseable {
    static final String NODE_ID = "demo";
    static final String BANK_A = "bank-a";
    static final String BANK_B = "bank-b";
    static final Map<String, String> HOME = homes();
    static final long OPENING_BALANCE = 1_000;

    private final TransactionalDataSource bankA;
    private final TransactionalDataSource bankB;
    private final HikariDataSource poolB;

    /** Wraps both databases for {@code tm}, under the names its Xids and commit records use. */
    DemoBank(QuorumTransactionManager tm, Path dir) {
        JdbcDataSource xa = new JdbcDataSource();
        xa.setURL(url(dir, BANK_A));
        xa.setUser("sa");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url(dir, BANK_B));
        config.setUsername("sa");
        config.setMaximumPoolSize(4);
        config.setPoolName("demo-bank-b");
        this.poolB = new HikariDataSource(config);
        this.bankA = TransactionalDataSource.builder(tm).name(BANK_A).xaDataSource(xa).maximumPoolSize(4).build();
        this.bankB = TransactionalDataSource.builder(tm).name(BANK_B).dataSource(poolB).dialect(Dialect.h2()).build();
    }

    private static Map<String, String> homes() {
        return Map.of("alice", BANK_A, "carol", BANK_A, "bob", BANK_B, "dave", BANK_B);
    }

    static List<String> accounts() {
        return List.of("alice", "carol", "bob", "dave");
    }

    static String url(Path dir, String database) {
        return "jdbc:h2:file:" + dir.resolve(database).toAbsolutePath() + ";WRITE_DELAY=0";
    }

    static Path logDirectory(Path dir) {
        return dir.resolve("txlog");
    }

    /** Deletes what an earlier run left in {@code dir}: both databases and the commit log. */
    static void removeFiles(Path dir) throws IOException {
        DemoFiles.deleteRecursively(logDirectory(dir));
        for (String db : List.of(BANK_A, BANK_B)) {
            Files.deleteIfExists(dir.resolve(db + ".mv.db"));
            Files.deleteIfExists(dir.resolve(db + ".trace.db"));
        }
    }

    /** Creates both databases afresh with 1000 in every account. */
    static void create(Path dir) throws SQLException {
        for (String db : List.of(BANK_A, BANK_B)) {
            try (Connection c = DriverManager.getConnection(url(dir, db), "sa", "");
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE account (id VARCHAR(16) PRIMARY KEY, balance BIGINT NOT NULL)");
                s.execute("CREATE TABLE transfer_log (id VARCHAR(16) PRIMARY KEY)");
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO account VALUES (?, ?)")) {
                    for (String account : accounts()) {
                        if (HOME.get(account).equals(db)) {
                            ps.setString(1, account);
                            ps.setLong(2, OPENING_BALANCE);
                            ps.executeUpdate();
                        }
                    }
                }
            }
        }
    }

    /**
     * One transfer in one JTA transaction: debit in one database, credit in the other, and the
     * transfer's id in both transfer logs. The caller begins and commits.
     */
    void move(String id, String from, String to, long amount) throws SQLException {
        // Always bank-a first: concurrent transfers then never wait for each other in a cycle.
        for (TransactionalDataSource ds : List.of(bankA, bankB)) {
            try (Connection c = ds.getConnection()) {
                if (HOME.get(from).equals(ds.name())) {
                    add(c, from, -amount);
                }
                if (HOME.get(to).equals(ds.name())) {
                    add(c, to, amount);
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO transfer_log VALUES (?)")) {
                    ps.setString(1, id);
                    ps.executeUpdate();
                }
            }
        }
    }

    private static void add(Connection c, String account, long delta) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE account SET balance = balance + ? WHERE id = ?")) {
            ps.setLong(1, delta);
            ps.setString(2, account);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("no account " + account);
            }
        }
    }

    @Override
    public void close() {
        bankA.close();
        bankB.close();
        poolB.close();
    }

    /** What a database holds, read with a plain JDBC connection, no transaction manager involved. */
    record Snapshot(Map<String, Long> balances, List<String> inDoubt, Set<String> transfers) {
        long total() {
            return balances.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Reads one database; balances and transfers only when nothing is in doubt (in-doubt rows stay locked). */
    static Snapshot read(Path dir, String database) throws SQLException {
        try (Connection c = DriverManager.getConnection(url(dir, database), "sa", "");
                Statement s = c.createStatement()) {
            List<String> inDoubt = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT TRANSACTION_NAME FROM INFORMATION_SCHEMA.IN_DOUBT")) {
                while (rs.next()) {
                    inDoubt.add(rs.getString(1));
                }
            }
            Map<String, Long> balances = new LinkedHashMap<>();
            Set<String> transfers = new TreeSet<>();
            if (inDoubt.isEmpty()) {
                try (ResultSet rs = s.executeQuery("SELECT id, balance FROM account ORDER BY id")) {
                    while (rs.next()) {
                        balances.put(rs.getString(1), rs.getLong(2));
                    }
                }
                try (ResultSet rs = s.executeQuery("SELECT id FROM transfer_log")) {
                    while (rs.next()) {
                        transfers.add(rs.getString(1));
                    }
                }
            }
            return new Snapshot(balances, inDoubt, transfers);
        }
    }
}
