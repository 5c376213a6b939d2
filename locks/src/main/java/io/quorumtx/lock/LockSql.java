package io.quorumtx.lock;

import io.quorumtx.jdbc.dialect.Dialect;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The lock table's SQL for one database. Every time comparison and every lease end is computed
 * by the database ({@code CURRENT_TIMESTAMP} and friends), never from the client's clock.
 *
 * <pre>
 * name        VARCHAR(200) PRIMARY KEY   the lock's name
 * owner       VARCHAR(200)               the holder, NULL when free
 * token       BIGINT NOT NULL            the fencing token of the last grant; only ever grows
 * lease_until TIMESTAMP(3) WITH TIME ZONE when the holder's lease ends, by the database's clock
 *             (MySQL/MariaDB: DATETIME(3) in UTC)
 * </pre>
 *
 * Rows are never deleted: a released lock keeps its token, so the next grant's token is higher,
 * across restarts and takeovers. And a row that is new — a name met for the first time, a table
 * recreated, a name that {@link ShardedLockService} now places on another database — does not
 * restart the count: every grant's token is {@code GREATEST(token + 1, <database now in ms> << 20)},
 * the database's clock in the high bits (an epoch), a count in the low 20. A new row's first
 * token is thus above every token granted on any database before that millisecond, as long as the
 * clocks of the databases a name moves between agree to within the pause of the move (see
 * {@link ShardedLockService}), and no row gets 2^20 grants in one millisecond.
 *
 * <p><b>Releases that need no flush (MySQL/MariaDB).</b> A release need not be durable — a
 * forgotten release only keeps the lock held until its lease ends — but a grant must be. MariaDB
 * cannot skip the flush for one transaction, so there a release writes no InnoDB row at all: it
 * records {@code (name, token)} in a second table, {@code <table>_released}, kept in the server's
 * memory ({@code ENGINE=MEMORY}: no redo log, no flush; emptied when the server restarts). A grant
 * treats a row whose token is in that table as free, and {@link #list()} and the held check treat
 * it as released. A server restart forgets these releases: those locks are held until their
 * leases end, never granted twice. When the memory table is full (its size is the server's
 * {@code max_heap_table_size} when it was created) the releases it holds are written to the lock
 * table in one durable commit and the table is emptied of them ({@link #compactReleased()}).
 */
final class LockSql {
    /** Longest lock name (and owner id); longer ones are refused before any SQL runs. */
    static final int MAX_NAME_LENGTH = 200;
    /** Bits of a token below the epoch (the database's milliseconds). */
    static final int EPOCH_SHIFT = 20;
    /** The memory table of releases is the lock table's name plus this (MySQL/MariaDB). */
    static final String RELEASED_SUFFIX = "_released";
    private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    private final String kind;
    final String table;
    // The statements of every acquire, renew and release, built once.
    private final String insert;
    private final String grant;
    private final String renew;
    private final String release;
    private final String heldToken;
    /** MySQL/MariaDB: the memory table of releases; null elsewhere (see the class comment). */
    final String released;

    private LockSql(String kind, String table, boolean memoryReleases) {
        this.kind = kind;
        this.table = table;
        this.released = memoryReleases && supportsMemoryReleases(kind, table) ? table + RELEASED_SUFFIX : null;
        this.insert = buildInsert();
        this.grant = buildGrant();
        this.renew = buildRenew();
        this.release = buildRelease();
        this.heldToken = buildHeldToken();
    }

    String insert() {
        return insert;
    }

    String grant() {
        return grant;
    }

    String renew() {
        return renew;
    }

    String release() {
        return release;
    }

    String heldToken() {
        return heldToken;
    }

    /**
     * @throws IllegalArgumentException if the table name is not a plain SQL identifier (it goes
     *     into SQL text, so nothing else is accepted) or the dialect is unknown
     */
    static LockSql of(Dialect dialect, String table) {
        return of(dialect, table, true);
    }

    /**
     * As {@link #of(Dialect, String)}; {@code memoryReleases}: use the memory table of releases
     * where the database has one (MySQL/MariaDB; false: every release is a durable UPDATE).
     */
    static LockSql of(Dialect dialect, String table, boolean memoryReleases) {
        if (table == null || !TABLE.matcher(table).matches()) {
            throw new IllegalArgumentException("Lock table name " + (table == null ? "is not set" : "'" + table + "'"
                    + " is not allowed") + ": use 1 to 63 characters of [A-Za-z0-9_], starting with a letter or _");
        }
        String kind = dialect.name().toLowerCase(Locale.ROOT);
        if (!kind.equals("h2") && !kind.equals("postgresql") && !kind.equals("mysql")) {
            throw new IllegalArgumentException("No lock SQL for dialect " + dialect.name());
        }
        return new LockSql(kind, table.toLowerCase(Locale.ROOT), memoryReleases);
    }

    /** MySQL/MariaDB, and a table name short enough for the suffix (MySQL's identifiers: at most 64 characters). */
    private static boolean supportsMemoryReleases(String kind, String table) {
        return kind.equals("mysql") && table.length() + RELEASED_SUFFIX.length() <= 64;
    }

    /** The table's DDL for this database (also in the README). */
    String createTable() {
        // Time-zone-proof: PostgreSQL and H2 keep an instant, MySQL/MariaDB UTC (UTC_TIMESTAMP below).
        String ts = kind.equals("mysql") ? "DATETIME(3)" : "TIMESTAMP(3) WITH TIME ZONE";
        return "CREATE TABLE IF NOT EXISTS " + table + " (name VARCHAR(" + MAX_NAME_LENGTH + ") NOT NULL PRIMARY KEY, "
                + "owner VARCHAR(" + MAX_NAME_LENGTH + "), token BIGINT NOT NULL, lease_until " + ts + ")";
    }

    /**
     * MySQL/MariaDB: the memory table of releases (see the class comment); its name is checked
     * like the lock table's, plus the suffix.
     */
    String createReleasedTable() {
        return "CREATE TABLE IF NOT EXISTS " + released + " (name VARCHAR(" + MAX_NAME_LENGTH + ") NOT NULL PRIMARY KEY,"
                + " token BIGINT NOT NULL) ENGINE=MEMORY";
    }

    /** A probe that the memory table of releases exists and has its columns and engine (0 rows if not MEMORY). */
    String probeReleased() {
        return "SELECT engine FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '"
                + released + "'";
    }

    /**
     * Records the release of owner ?1's grant with token ?2 of lock ?3 in the memory table, if that
     * grant still holds the row (even with an expired lease nobody else took): no InnoDB row is
     * written, so the commit waits for no flush. Counts 1 or 2 rows if released, 0 if not held.
     */
    String softRelease() {
        return "INSERT INTO " + released + " (name, token) SELECT name, token FROM " + table
                + " WHERE owner = ? AND token = ? AND name = ? ON DUPLICATE KEY UPDATE token = VALUES(token)";
    }

    /**
     * The memory table is full: writes every release it records to the lock table (one durable
     * commit), then {@link #dropAppliedReleases()}.
     */
    String compactReleased() {
        return "UPDATE " + table + " l JOIN " + released + " r ON r.name = l.name AND r.token = l.token"
                + " SET l.owner = NULL, l.lease_until = NULL";
    }

    /**
     * Deletes the memory table's rows that no longer mean anything: the lock row is free (written
     * by {@link #compactReleased()}, or broken) or was granted again since (another token). A
     * release recorded meanwhile still matches a held row and stays.
     */
    String dropAppliedReleases() {
        return "DELETE r FROM " + released + " r LEFT JOIN " + table + " l ON l.name = r.name"
                + " WHERE l.name IS NULL OR l.owner IS NULL OR l.token <> r.token";
    }

    /** Inserts a free row with token 0 (a duplicate key error means it exists: ignored by the caller). */
    private String buildInsert() {
        return "INSERT INTO " + table + " (name, owner, token, lease_until) VALUES (?, NULL, 0, NULL)";
    }

    /**
     * Grants to owner (?1) for ?2 milliseconds if free or expired, or if still held by the grant of
     * owner ?4 with token ?5 that this service hands over (null, -1: none; see {@code HeldLocks}):
     * name ?3; one statement that also
     * returns the new token, so a grant is one round trip. PostgreSQL: {@code UPDATE … RETURNING};
     * H2: the data-change delta table {@code SELECT token FROM FINAL TABLE (UPDATE …)}; MySQL/MariaDB
     * (no {@code UPDATE … RETURNING}): the new token is assigned through {@code LAST_INSERT_ID(expr)},
     * which the server sends back in the UPDATE's own OK packet, read with
     * {@link java.sql.Statement#getGeneratedKeys()} (see {@link #grantReturnsGeneratedKey()}). With
     * the memory table of releases, a row whose token it records is free too: name again as ?6.
     */
    private String buildGrant() {
        String token = kind.equals("mysql") ? "LAST_INSERT_ID(" + nextToken() + ")" : nextToken();
        String update = "UPDATE " + table + " SET owner = ?, token = " + token + ", lease_until = " + plusMillis()
                + " WHERE name = ? AND (owner IS NULL OR lease_until < " + now() + " OR (owner = ? AND token = ?)"
                + (released != null ? " OR token = (SELECT r.token FROM " + released + " r WHERE r.name = ?)" : "")
                + ")";
        return switch (kind) {
            case "postgresql" -> update + " RETURNING token";
            case "h2" -> "SELECT token FROM FINAL TABLE (" + update + ")";
            default -> update;
        };
    }

    /** True if the grant is an UPDATE whose token comes back as the generated key (MySQL/MariaDB). */
    boolean grantReturnsGeneratedKey() {
        return kind.equals("mysql");
    }

    /**
     * PostgreSQL: the release of owner ?1, token ?2, lock ?3 and its announcement on channel ?4 in
     * one statement (one round trip), committed asynchronously (no wait for the WAL flush: a
     * release need not be durable, only a grant must be); returns a row if released. Null elsewhere.
     */
    String releaseAndNotify() {
        // set_config(..., true): this statement's own transaction commits without waiting for the WAL
        // flush. Safe: the release becomes visible at once; a database crash may forget it, and then
        // the lock stays held until its lease ends (never granted twice). Any later durable commit —
        // the next grant — flushes the WAL up to and past the release.
        return kind.equals("postgresql") ? "WITH r AS (" + release + " RETURNING name) SELECT pg_notify(?, r.name),"
                + " set_config('synchronous_commit', 'off', true) FROM r" : null;
    }

    /** Extends the lease of owner ?2 with token ?3 on lock ?4 by ?1 milliseconds, if it still holds it. */
    private String buildRenew() {
        return "UPDATE " + table + " SET lease_until = " + plusMillis() + " WHERE owner = ? AND token = ? AND name = ?"
                + " AND lease_until >= " + now();
    }

    /** Frees lock ?3 if owner ?1 with token ?2 holds it (even with an expired lease nobody else took). */
    private String buildRelease() {
        return "UPDATE " + table + " SET owner = NULL, lease_until = NULL WHERE owner = ? AND token = ? AND name = ?";
    }

    /** Frees lock ?1 whoever holds it (the operator's break). */
    String breakLock() {
        return "UPDATE " + table + " SET owner = NULL, lease_until = NULL WHERE name = ?";
    }

    /** Token of lock ?1 if owner ?2 holds it with a live lease. */
    private String buildHeldToken() {
        return "SELECT token FROM " + table + " WHERE name = ? AND owner = ? AND lease_until >= " + now()
                + (released != null ? " AND NOT EXISTS (SELECT 1 FROM " + released + " r WHERE r.name = " + table
                + ".name AND r.token = " + table + ".token)" : "");
    }

    /** Every lock: name, owner, token, lease end, and the database's now. */
    String list() {
        if (released != null) { // a release recorded in the memory table shows as free
            return "SELECT l.name, CASE WHEN r.token IS NULL THEN l.owner END, l.token, CASE WHEN r.token IS NULL"
                    + " THEN l.lease_until END, " + now() + " FROM " + table + " l LEFT JOIN " + released
                    + " r ON r.name = l.name AND r.token = l.token ORDER BY l.name";
        }
        return "SELECT name, owner, token, lease_until, " + now() + " FROM " + table + " ORDER BY name";
    }

    /** A probe that the table has the expected columns. */
    String probe() {
        return "SELECT name, owner, token, lease_until FROM " + table + " WHERE 1 = 0";
    }

    private String now() {
        return kind.equals("mysql") ? "UTC_TIMESTAMP(3)" : kind.equals("postgresql") ? "clock_timestamp()"
                : "CURRENT_TIMESTAMP(3)";
    }

    /** The token of a grant: one more than the last, and never below the epoch of the database's now. */
    private String nextToken() {
        String millis = switch (kind) {
            case "mysql" -> "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(3)) DIV 1000)";
            case "postgresql" -> "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
            default -> "CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP(3)) * 1000 AS BIGINT)";
        };
        return "GREATEST(token + 1, " + millis + " * " + (1L << EPOCH_SHIFT) + ")";
    }

    private String plusMillis() {
        return switch (kind) {
            case "mysql" -> "DATE_ADD(UTC_TIMESTAMP(3), INTERVAL ? * 1000 MICROSECOND)";
            case "postgresql" -> "clock_timestamp() + (? * INTERVAL '1 millisecond')";
            default -> "DATEADD(MILLISECOND, ?, CURRENT_TIMESTAMP(3))";
        };
    }
}
