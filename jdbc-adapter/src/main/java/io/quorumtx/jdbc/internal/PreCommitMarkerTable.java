package io.quorumtx.jdbc.internal;

import io.quorumtx.tm.spi.PreCommitMarker;
import io.quorumtx.tm.spi.PreCommitMarkers;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Pattern;
import javax.transaction.xa.XAException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pre-commit markers of three-phase commit in a small table of the participant database,
 * written on a connection of their own (never the branch's: a prepared branch's connection may not
 * run other work, and borrowing from the application's pool while holding one of its connections
 * could deadlock a full pool).
 *
 * <p><b>Group commit.</b> Concurrent {@link #write}s share one database commit: the first writer
 * becomes the leader, inserts every marker queued so far in one batch and commits, then wakes the
 * writers it served; writers arriving meanwhile queue for the next batch. One dedicated connection,
 * owned by whichever thread leads, so no thread of its own and no pool. Deletions after END
 * ({@link #deleteLater}) ride along in the next batch; they need no commit of their own.
 *
 * <p>The table ({@code gtrid} primary key, {@code participants}, {@code written_at}) is created on
 * first use unless the application creates it from the README's DDL. Writing a marker twice is
 * harmless (MERGE / ON CONFLICT DO NOTHING / ON DUPLICATE KEY).
 */
public final class PreCommitMarkerTable implements PreCommitMarkers, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PreCommitMarkerTable.class);
    private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    /** Room for the names of every participant (each at most 48 characters). */
    public static final int MAX_PARTICIPANTS_LENGTH = 2000;
    private static final int MAX_DELETES_PER_BATCH = 500;

    /** Where the table's connections come from; each {@link Lease} is closed by the caller. */
    public interface ConnectionSource {
        Lease open() throws SQLException;
    }

    /** A connection and how to give it back. */
    public interface Lease extends AutoCloseable {
        Connection connection();

        @Override
        void close();
    }

    private static final class Pending {
        final String gtrid;
        final String participants;
        boolean done;
        SQLException error;

        Pending(String gtrid, String participants) {
            this.gtrid = gtrid;
            this.participants = participants;
        }
    }

    private final String resourceName;
    private final String table;
    private final boolean createTable;
    private final ConnectionSource source;
    private final ConcurrentLinkedQueue<String> toDelete = new ConcurrentLinkedQueue<>();

    private final Object lock = new Object();
    private ArrayList<Pending> queue = new ArrayList<>(); // guarded by lock
    private boolean leading; // guarded by lock

    // Owned by the leader (one thread at a time, handed over through lock).
    private Lease writer;
    /** The idempotent insert of this database's kind, built once when the writer connects. */
    private String insertSql;

    /**
     * @param resourceName the participant's name (for messages)
     * @param table the marker table: 1 to 63 characters of [A-Za-z0-9_], starting with a letter or _
     * @param createTable create the table on first use if it is missing
     * @throws IllegalArgumentException if the table name is not a plain identifier
     */
    public PreCommitMarkerTable(String resourceName, String table, boolean createTable, ConnectionSource source) {
        if (table == null || !TABLE.matcher(table).matches()) {
            throw new IllegalArgumentException("pre-commit marker table name " + (table == null ? "is not set"
                    : "'" + table + "' is not allowed") + " for " + resourceName
                    + ": use 1 to 63 characters of [A-Za-z0-9_], starting with a letter or _");
        }
        this.resourceName = resourceName;
        this.table = table.toLowerCase(Locale.ROOT);
        this.createTable = createTable;
        this.source = source;
    }

    /** The name of the table (lower case). */
    public String table() {
        return table;
    }

    /** The table's DDL (also in the README); runs on H2, PostgreSQL, MySQL and MariaDB. */
    public static String ddl(String table) {
        return "CREATE TABLE IF NOT EXISTS " + table + " (gtrid VARCHAR(64) NOT NULL PRIMARY KEY, participants VARCHAR("
                + MAX_PARTICIPANTS_LENGTH + ") NOT NULL, written_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)";
    }

    @Override
    public void write(String gtrid, List<String> participants) throws XAException {
        String joined = String.join(",", participants);
        if (joined.length() > MAX_PARTICIPANTS_LENGTH) {
            throw xa(XAException.XAER_INVAL, "the participant list of " + gtrid + " is " + joined.length()
                    + " characters, more than a pre-commit marker holds (" + MAX_PARTICIPANTS_LENGTH + ")", null);
        }
        Pending mine = new Pending(gtrid, joined);
        boolean lead;
        synchronized (lock) {
            queue.add(mine);
            lead = !leading;
            leading = true;
        }
        if (lead) {
            lead();
        }
        awaitDone(mine);
        if (mine.error != null) {
            throw xa(XAException.XAER_RMFAIL, "could not write the pre-commit marker of " + gtrid + " into "
                    + resourceName + "." + table + ": " + mine.error.getMessage(), mine.error);
        }
    }

    /** Writes batches until the queue is empty, then gives up the lead. */
    private void lead() {
        while (true) {
            ArrayList<Pending> batch;
            synchronized (lock) {
                batch = queue;
                if (batch.isEmpty()) {
                    leading = false;
                    return;
                }
                queue = new ArrayList<>();
            }
            SQLException error = null;
            try {
                flush(batch);
            } catch (SQLException e) {
                error = e;
            } catch (RuntimeException e) {
                error = new SQLException(e.toString(), e);
            }
            synchronized (lock) {
                for (Pending p : batch) {
                    p.done = true;
                    p.error = error;
                }
                lock.notifyAll();
            }
        }
    }

    private void awaitDone(Pending p) {
        boolean interrupted = false;
        synchronized (lock) {
            while (!p.done) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true; // the marker's fate must be known before the commit goes on
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void flush(List<Pending> batch) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            try {
                Connection c = writerConnection();
                try (PreparedStatement insert = c.prepareStatement(insertSql)) {
                    for (Pending p : batch) {
                        insert.setString(1, p.gtrid);
                        insert.setString(2, p.participants);
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
                List<String> deleted = deleteQueued(c);
                c.commit();
                if (!deleted.isEmpty()) {
                    LOG.trace("Deleted {} pre-commit markers of ended transactions from {}", deleted.size(), resourceName);
                }
                return;
            } catch (SQLException e) {
                closeWriter();
                if (attempt > 0) {
                    throw e;
                }
                // One retry on a fresh connection: the kept one may have been closed by the server.
            }
        }
    }

    private List<String> deleteQueued(Connection c) throws SQLException {
        List<String> gtrids = new ArrayList<>();
        for (String g; gtrids.size() < MAX_DELETES_PER_BATCH && (g = toDelete.poll()) != null; ) {
            gtrids.add(g);
        }
        if (!gtrids.isEmpty()) {
            try (PreparedStatement delete = c.prepareStatement("DELETE FROM " + table + " WHERE gtrid = ?")) {
                for (String g : gtrids) {
                    delete.setString(1, g);
                    delete.addBatch();
                }
                delete.executeBatch();
            } catch (SQLException e) {
                toDelete.addAll(gtrids);
                throw e;
            }
        }
        return gtrids;
    }

    private Connection writerConnection() throws SQLException {
        if (writer == null) {
            Lease lease = source.open();
            try {
                Connection c = lease.connection();
                insertSql = insertSql(kindOf(c));
                if (createTable) {
                    createTable(c);
                }
                c.setAutoCommit(false);
            } catch (SQLException | RuntimeException e) {
                lease.close();
                throw e;
            }
            writer = lease;
        }
        return writer.connection();
    }

    private void createTable(Connection c) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
            s.execute(ddl(table));
        } finally {
            c.setAutoCommit(auto);
        }
    }

    private void closeWriter() {
        Lease w = writer;
        writer = null;
        if (w != null) {
            try {
                w.connection().rollback();
            } catch (SQLException | RuntimeException ignored) {
                // It is being thrown away.
            }
            w.close();
        }
    }

    private String insertSql(String kind) {
        return switch (kind) {
            case "postgresql" -> "INSERT INTO " + table + " (gtrid, participants) VALUES (?, ?) ON CONFLICT (gtrid) DO NOTHING";
            case "mysql" -> "INSERT INTO " + table + " (gtrid, participants) VALUES (?, ?) ON DUPLICATE KEY UPDATE gtrid = gtrid";
            default -> "MERGE INTO " + table + " (gtrid, participants) KEY (gtrid) VALUES (?, ?)";
        };
    }

    private static String kindOf(Connection c) throws SQLException {
        String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
        if (product.contains("postgres")) {
            return "postgresql";
        }
        if (product.contains("mysql") || product.contains("mariadb")) {
            return "mysql";
        }
        if (product.contains("h2")) {
            return "h2";
        }
        throw new SQLException("pre-commit markers are kept in H2, PostgreSQL, MySQL or MariaDB, not in " + product);
    }

    @Override
    public List<PreCommitMarker> list() throws XAException {
        try (Lease lease = source.open()) {
            Connection c = lease.connection();
            if (!tableExists(c)) {
                return List.of(); // no three-phase transaction ever wrote here
            }
            List<PreCommitMarker> markers = new ArrayList<>();
            try (Statement s = c.createStatement();
                 ResultSet rows = s.executeQuery("SELECT gtrid, participants, written_at FROM " + table + " ORDER BY gtrid")) {
                while (rows.next()) {
                    Timestamp at = rows.getTimestamp(3);
                    markers.add(new PreCommitMarker(rows.getString(1), Arrays.asList(rows.getString(2).split(",")),
                            at == null ? Instant.EPOCH : at.toInstant()));
                }
            }
            return markers;
        } catch (SQLException e) {
            throw xa(XAException.XAER_RMFAIL, "could not read the pre-commit markers of " + resourceName + " from table "
                    + table + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void delete(Collection<String> gtrids) throws XAException {
        if (gtrids.isEmpty()) {
            return;
        }
        try (Lease lease = source.open()) {
            Connection c = lease.connection();
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(true);
            try (PreparedStatement delete = c.prepareStatement("DELETE FROM " + table + " WHERE gtrid = ?")) {
                for (String g : gtrids) {
                    delete.setString(1, g);
                    delete.addBatch();
                }
                delete.executeBatch();
            } finally {
                c.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            throw xa(XAException.XAER_RMFAIL, "could not delete pre-commit markers from " + resourceName + "." + table
                    + ": " + e.getMessage(), e);
        }
    }

    /** Queued; deleted with the next batch of writes (or by recovery, if none comes). */
    @Override
    public void deleteLater(String gtrid) {
        toDelete.add(gtrid);
    }

    private boolean tableExists(Connection c) throws SQLException {
        DatabaseMetaData meta = c.getMetaData();
        for (String candidate : new String[] {table, table.toUpperCase(Locale.ROOT)}) {
            try (ResultSet rs = meta.getTables(c.getCatalog(), null, candidate, null)) {
                if (rs.next()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Deletes what is queued for deletion and closes the writer's connection. */
    @Override
    public void close() {
        synchronized (lock) {
            while (leading) {
                try {
                    lock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            leading = true;
        }
        try {
            if (!toDelete.isEmpty()) {
                try {
                    Connection c = writerConnection();
                    deleteQueued(c);
                    c.commit();
                } catch (SQLException e) {
                    LOG.debug("Pre-commit markers of {} left for recovery to delete: {}", resourceName, e.getMessage());
                }
            }
            closeWriter();
        } finally {
            synchronized (lock) {
                leading = false;
                lock.notifyAll();
            }
        }
    }

    private static XAException xa(int code, String message, Throwable cause) {
        XAException e = new XAException(message);
        e.errorCode = code;
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }
}
