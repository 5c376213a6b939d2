package io.quorumtx.it.crash;

import io.quorumtx.testsupport.Poll;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The on-disk bank of a crash test: up to three H2 file databases and one commit log in a directory.
 *
 * <p>Each database holds {@code account(id, balance)} and {@code transfer_log(id)}. Every transfer
 * touches every database and inserts its id into each one's {@code transfer_log}, so after
 * recovery the sets of ids must be identical: an id in one database and not in another is a
 * transaction committed there and rolled back here, the outcome 2PC exists to prevent.
 */
final class BankFiles {
    static final List<String> NAMES = List.of("bank-a", "bank-b", "bank-c");
    /** The crashed node and its successor share this id: the log directory belongs to one node. */
    static final String NODE_ID = "crash-node";
    static final int ACCOUNTS = 8;
    static final long OPENING_BALANCE = 1_000;

    private BankFiles() {
    }

    /** Durable URL: H2's default WRITE_DELAY would lose acknowledged commits when the JVM dies. */
    static String url(Path dir, String database) {
        return "jdbc:h2:file:" + dir.resolve(database).toAbsolutePath() + ";WRITE_DELAY=0";
    }

    static Path logDirectory(Path dir) {
        return dir.resolve("txlog");
    }

    static long openingTotal(int databases) {
        return (long) databases * ACCOUNTS * OPENING_BALANCE;
    }

    static void create(Path dir, int databases) throws SQLException {
        create(dir, Backend.allH2(databases));
    }

    static void create(Path dir, List<Backend> backends) throws SQLException {
        for (int i = 0; i < backends.size(); i++) {
            String name = NAMES.get(i);
            backends.get(i).createDatabase(dir, name);
            try (Connection c = connect(dir, name, backends.get(i));
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE account (id INT PRIMARY KEY, balance BIGINT NOT NULL)");
                s.execute("CREATE TABLE transfer_log (id VARCHAR(40) PRIMARY KEY)");
                for (int a = 0; a < ACCOUNTS; a++) {
                    s.execute("INSERT INTO account VALUES (" + a + ", " + OPENING_BALANCE + ")");
                }
            }
        }
    }

    /** What one database holds, read with a plain connection outside any transaction manager. */
    record DatabaseState(String name, int inDoubt, long total, Set<String> transferIds) {}

    static List<DatabaseState> read(Path dir, int databases) throws SQLException {
        return read(dir, Backend.allH2(databases));
    }

    static List<DatabaseState> read(Path dir, List<Backend> backends) throws SQLException {
        List<DatabaseState> states = new ArrayList<>();
        for (int i = 0; i < backends.size(); i++) {
            String name = NAMES.get(i);
            try (Connection c = connect(dir, name, backends.get(i));
                    Statement s = c.createStatement()) {
                int inDoubt = backends.get(i).inDoubt(c, name);
                long total = 0;
                Set<String> ids = new TreeSet<>();
                // Rows of an in-doubt branch stay locked: read them only when nothing is in doubt.
                if (inDoubt == 0) {
                    try (ResultSet rs = s.executeQuery("SELECT COALESCE(SUM(balance), 0) FROM account")) {
                        rs.next();
                        total = rs.getLong(1);
                    }
                    try (ResultSet rs = s.executeQuery("SELECT id FROM transfer_log")) {
                        while (rs.next()) {
                            ids.add(rs.getString(1));
                        }
                    }
                }
                states.add(new DatabaseState(name, inDoubt, total, ids));
            }
        }
        return states;
    }

    static int inDoubt(Path dir, int databases) throws SQLException {
        return inDoubt(dir, Backend.allH2(databases));
    }

    static int inDoubt(Path dir, List<Backend> backends) throws SQLException {
        int sum = 0;
        for (int i = 0; i < backends.size(); i++) {
            try (Connection c = connect(dir, NAMES.get(i), backends.get(i))) {
                sum += backends.get(i).inDoubt(c, NAMES.get(i));
            }
        }
        return sum;
    }

    /**
     * A plain connection to one bank database. Retries while H2 reports the database closed or
     * closing: a manager closed just before may have left its in-JVM database object shutting
     * down (its recovery thread is interrupted on close), and a fresh open reads it from disk,
     * which is what the verdict is about.
     */
    static Connection connect(Path dir, String name, Backend backend) throws SQLException {
        if (backend != Backend.H2) {
            return DriverManager.getConnection(backend.url(dir, name));
        }
        AtomicReference<Connection> opened = new AtomicReference<>();
        Poll.within(Duration.ofSeconds(10), "H2 to finish closing bank " + name + " so it can be opened again")
                .until(() -> {
                    try {
                        opened.set(DriverManager.getConnection(url(dir, name), "sa", ""));
                        return true;
                    } catch (SQLException e) {
                        boolean closing = e.getErrorCode() == org.h2.api.ErrorCode.DATABASE_CALLED_AT_SHUTDOWN
                                || e.getErrorCode() == org.h2.api.ErrorCode.DATABASE_IS_CLOSED;
                        if (!closing) {
                            throw e;
                        }
                        return false;
                    }
                });
        return opened.get();
    }

}
