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
 */
final class LockSql {
    /** Longest lock name (and owner id); longer ones are refused before any SQL runs. */
    static final int MAX_NAME_LENGTH = 200;
    /** Bits of a token below the epoch (the database's milliseconds). */
    static final int EPOCH_SHIFT = 20;
    private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    private final String kind;
    final String table;
    // The statements of every acquire, renew and release, built once.
    private final String insert;
    private final String grant;
    private final String renew;
    private final String release;
    private final String heldToken;

    private LockSql(String kind, String table) {
        this.kind = kind;
        this.table = table;
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
        if (table == null || !TABLE.matcher(table).matches()) {
            throw new IllegalArgumentException("Lock table name " + (table == null ? "is not set" : "'" + table + "'"
                    + " is not allowed") + ": use 1 to 63 characters of [A-Za-z0-9_], starting with a letter or _");
        }
        String kind = dialect.name().toLowerCase(Locale.ROOT);
        if (!kind.equals("h2") && !kind.equals("postgresql") && !kind.equals("mysql")) {
            throw new IllegalArgumentException("No lock SQL for dialect " + dialect.name());
        }
        return new LockSql(kind, table.toLowerCase(Locale.ROOT));
    }

    /** The table's DDL for this database (also in the README). */
    String createTable() {
        // Time-zone-proof: PostgreSQL and H2 keep an instant, MySQL/MariaDB UTC (UTC_TIMESTAMP below).
        String ts = kind.equals("mysql") ? "DATETIME(3)" : "TIMESTAMP(3) WITH TIME ZONE";
        return "CREATE TABLE IF NOT EXISTS " + table + " (name VARCHAR(" + MAX_NAME_LENGTH + ") NOT NULL PRIMARY KEY, "
                + "owner VARCHAR(" + MAX_NAME_LENGTH + "), token BIGINT NOT NULL, lease_until " + ts + ")";
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
     * {@link java.sql.Statement#getGeneratedKeys()} (see {@link #grantReturnsGeneratedKey()}).
     */
    private String buildGrant() {
        String token = kind.equals("mysql") ? "LAST_INSERT_ID(" + nextToken() + ")" : nextToken();
        String update = "UPDATE " + table + " SET owner = ?, token = " + token + ", lease_until = " + plusMillis()
                + " WHERE name = ? AND (owner IS NULL OR lease_until < " + now() + " OR (owner = ? AND token = ?))";
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
        return "SELECT token FROM " + table + " WHERE name = ? AND owner = ? AND lease_until >= " + now();
    }

    /** Every lock: name, owner, token, lease end, and the database's now. */
    String list() {
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
