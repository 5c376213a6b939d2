package io.quorumtx.jdbc.dblog;

import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.tm.log.BranchRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Every statement of the database commit log, per dialect, in one place: the four tables' DDL
 * (also in the README), the database clock, the per-statement lock timeout and how a duplicate
 * key is reported. Table names are built only from a validated prefix.
 *
 * <p>Tables ({@code <prefix>_decisions}, {@code _done}, {@code _nodes}, {@code _meta}):
 * <ul>
 *   <li>decisions: one row per decided transaction, gtrid as primary key; decision {@code C}
 *       (COMMIT) or {@code A} (ABORT, inserted only by settling); the owner node, the time and the
 *       branches (one {@code resource TAB qualifier} per line);</li>
 *   <li>done: the branches of an unfinished COMMIT that recovery already finished (BRANCH_DONE);</li>
 *   <li>nodes: one row per manager incarnation ({@code node.bootEpoch}): its lease by the
 *       database's clock and its fence;</li>
 *   <li>meta: the database identity token that proves a carrier is this database.</li>
 * </ul>
 * MariaDB columns holding gtrids use {@code ascii_bin}: its default collations compare case-insensitively.
 */
final class DecisionSql {

    /** Which SQL the database speaks. */
    enum Kind { H2, POSTGRESQL, MARIADB }

    private static final Pattern PREFIX = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,39}");
    /** Longest branches text a decision row holds (about 40 branches). */
    static final int MAX_BRANCHES_LENGTH = 4000;

    final Kind kind;
    final String decisions;
    final String done;
    final String nodes;
    final String meta;

    private DecisionSql(Kind kind, String prefix) {
        this.kind = kind;
        this.decisions = prefix + "_decisions";
        this.done = prefix + "_done";
        this.nodes = prefix + "_nodes";
        this.meta = prefix + "_meta";
    }

    static DecisionSql of(Dialect dialect, String prefix) {
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("tablePrefix '" + prefix + "' is invalid: use 1 to 40 characters of"
                    + " [A-Za-z0-9_], starting with a letter or _ (the tables are <prefix>_decisions, _done, _nodes"
                    + " and _meta)");
        }
        Kind kind = switch (dialect.name()) {
            case "h2" -> Kind.H2;
            case "postgresql" -> Kind.POSTGRESQL;
            case "mysql" -> Kind.MARIADB;
            default -> throw new IllegalArgumentException("the database commit log speaks H2, PostgreSQL and"
                    + " MySQL/MariaDB, not dialect " + dialect.name());
        };
        return new DecisionSql(kind, prefix);
    }

    /** CREATE TABLE IF NOT EXISTS for the four tables. */
    List<String> ddl() {
        String id = kind == Kind.MARIADB ? " CHARACTER SET ascii COLLATE ascii_bin" : "";
        String text = kind == Kind.MARIADB ? "TEXT" : "VARCHAR(" + MAX_BRANCHES_LENGTH + ")";
        List<String> ddl = new ArrayList<>();
        ddl.add("CREATE TABLE IF NOT EXISTS " + decisions + " (gtrid VARCHAR(64)" + id + " NOT NULL PRIMARY KEY,"
                + " decision CHAR(1) NOT NULL, owner VARCHAR(100)" + id + " NOT NULL, decided_at BIGINT NOT NULL,"
                + " branches " + text + " NOT NULL)");
        ddl.add("CREATE TABLE IF NOT EXISTS " + done + " (gtrid VARCHAR(64)" + id + " NOT NULL, resource_name"
                + " VARCHAR(64)" + id + " NOT NULL, branch_qualifier VARCHAR(64)" + id + " NOT NULL,"
                + " PRIMARY KEY (gtrid, resource_name, branch_qualifier))");
        ddl.add("CREATE TABLE IF NOT EXISTS " + nodes + " (incarnation VARCHAR(100)" + id + " NOT NULL PRIMARY KEY,"
                + " node_id VARCHAR(64)" + id + " NOT NULL, lease_until BIGINT NOT NULL, fenced INT NOT NULL,"
                + " commit_batches BIGINT NOT NULL)");
        ddl.add("CREATE TABLE IF NOT EXISTS " + meta + " (meta_name VARCHAR(32) NOT NULL PRIMARY KEY, meta_value VARCHAR(64)"
                + " NOT NULL)");
        return ddl;
    }

    /** The database's clock in epoch milliseconds (leases are never compared with a node's clock). */
    String nowMillis() {
        return switch (kind) {
            case H2 -> "DATEDIFF(MILLISECOND, TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00', CURRENT_TIMESTAMP)";
            case POSTGRESQL -> "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
            case MARIADB -> "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)";
        };
    }

    String insertDecision() {
        return "INSERT INTO " + decisions + " (gtrid, decision, owner, decided_at, branches) VALUES (?, ?, ?, ?, ?)";
    }

    /** Deletes rows (and their BRANCH_DONE rows) by gtrid, {@code n} at a time. */
    String deleteDecisions(int n) {
        return "DELETE FROM " + decisions + " WHERE gtrid IN (" + marks(n) + ")";
    }

    String deleteDone(int n) {
        return "DELETE FROM " + done + " WHERE gtrid IN (" + marks(n) + ")";
    }

    private static String marks(int n) {
        StringBuilder s = new StringBuilder(n * 2);
        for (int i = 0; i < n; i++) {
            s.append(i == 0 ? "?" : ",?");
        }
        return s.toString();
    }

    /**
     * Makes lock waits of the current transaction on {@code c} give up after {@code millis}: a
     * settle waits on the uncommitted COMMIT row of a live coordinator, and must answer "cannot
     * tell now" rather than wait for it. Returns the statement that restores the session (or null).
     */
    String limitLockWait(Connection c, long millis) throws SQLException {
        try (Statement s = c.createStatement()) {
            switch (kind) {
                case POSTGRESQL -> {
                    s.execute("SET LOCAL lock_timeout = '" + Math.max(1, millis) + "ms'");
                    return null; // LOCAL: ends with the transaction
                }
                case MARIADB -> {
                    s.execute("SET SESSION innodb_lock_wait_timeout = " + Math.max(1, (millis + 999) / 1000));
                    return "SET SESSION innodb_lock_wait_timeout = DEFAULT";
                }
                default -> {
                    s.execute("SET LOCK_TIMEOUT " + Math.max(1, millis));
                    return "SET LOCK_TIMEOUT " + H2_DEFAULT_LOCK_TIMEOUT_MILLIS;
                }
            }
        }
    }

    /** H2's default lock timeout, restored on the session after a settle. */
    private static final long H2_DEFAULT_LOCK_TIMEOUT_MILLIS = 10_000;

    /** True if {@code e} reports a duplicate primary key (the gtrid is decided already). */
    boolean isDuplicateKey(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            String state = s.getSQLState();
            if ("23505".equals(state) || s.getErrorCode() == 1062 || (kind == Kind.H2 && s.getErrorCode() == 23505)) {
                return true;
            }
            if (s.getCause() instanceof SQLException cause && cause != s && isDuplicateKey(cause)) {
                return true;
            }
        }
        return false;
    }

    /** One line per branch: {@code resource TAB qualifier} (names and qualifiers are printable ASCII). */
    static String encode(List<BranchRecord> branches) {
        StringBuilder s = new StringBuilder();
        for (BranchRecord b : branches) {
            if (s.length() > 0) {
                s.append('\n');
            }
            s.append(b.resourceName()).append('\t').append(b.branchQualifier());
        }
        return s.toString();
    }

    static List<BranchRecord> decode(String text) {
        List<BranchRecord> branches = new ArrayList<>();
        if (text == null || text.isEmpty()) {
            return branches;
        }
        for (String line : text.split("\n", -1)) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                branches.add(new BranchRecord(line.substring(0, tab), line.substring(tab + 1)));
            }
        }
        return branches;
    }
}
