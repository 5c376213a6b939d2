package io.quorumtx.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

/**
 * Which SQL an enlisted connection must not run, per database: statements that end, begin or
 * nest the transaction, drive two-phase commit, switch auto-commit, or make the database commit
 * the open transaction implicitly. Any of them would let one database's branch commit (or roll
 * back) on its own while the others follow the transaction manager's decision: measured before
 * this guard, {@code execute("COMMIT")} on one of two H2 branches, then {@code tm.rollback()},
 * left that database's row in place (issue 11, finding 7).
 *
 * <p>Only the first words of each statement decide, as in the databases' own grammars; every
 * statement of a multi-statement string counts ({@code "UPDATE ...; COMMIT"} runs both on
 * PostgreSQL's simple query protocol, on H2, and on MariaDB with {@code allowMultiQueries}).
 * {@link SqlLexer} finds the statements without being fooled by comments, literals or quoted
 * names. The check allocates nothing; a string without {@code ;} is decided by its first words
 * alone, so the usual statement costs a few dozen character reads (measured in the README).
 *
 * <p>Per database, because implicit commits differ:
 * <ul>
 *   <li>PostgreSQL: DDL is transactional and allowed; statements that cannot run in a
 *       transaction block ({@code VACUUM}, {@code CREATE DATABASE}) fail on their own, and a
 *       procedure's {@code COMMIT} fails with "invalid transaction termination".</li>
 *   <li>MySQL and MariaDB: MariaDB's documented list of statements that cause an implicit commit
 *       (DDL except on TEMPORARY tables, LOCK/UNLOCK TABLES, ANALYZE/OPTIMIZE/REPAIR/CHECK TABLE,
 *       GRANT, REVOKE, FLUSH, RESET, SET PASSWORD, replication control, ...). Inside an XA
 *       transaction the server refuses them too (error 1400/1399); the guard says why, first.</li>
 *   <li>H2 2.4: measured, DDL commits the open transaction (CREATE, ALTER, DROP, TRUNCATE,
 *       COMMENT, GRANT, ANALYZE, SCRIPT, RUNSCRIPT, DECLARE ... TABLE) except CREATE and ALTER
 *       SEQUENCE; so do the database-wide {@code SET} commands, while the session settings
 *       listed in {@link #H2_SESSION_SETTINGS} do not. CHECKPOINT does not commit.</li>
 *   <li>Any other database: the transaction-control statements only (Oracle refuses DDL in an
 *       XA branch itself; SQL Server's and DB2's DDL is transactional).</li>
 * </ul>
 */
@SuppressWarnings("ImmutableEnumChecker") // SqlLexer holds only final booleans: immutable, though not annotated so
public enum TransactionControlSql {

    H2("H2", SqlLexer.H2),
    POSTGRESQL("PostgreSQL", SqlLexer.POSTGRESQL),
    MYSQL("MySQL/MariaDB", SqlLexer.MYSQL),
    OTHER("this database", SqlLexer.STANDARD);

    /** What a refused statement would do; the message says it, and what to do instead. */
    enum Kind {
        ENDS_TRANSACTION("ends the transaction, committing or rolling back this database's branch on its own",
                "To end the transaction call commit() or rollback() on the TransactionManager or UserTransaction;"
                        + " to force a rollback, call setRollbackOnly()."),
        BEGINS_TRANSACTION("begins a transaction, which ends the enlisted one or nests a second one in it",
                "The TransactionManager or UserTransaction begins transactions; this connection is already in one."),
        NESTS_TRANSACTION("sets, releases or rolls back to a savepoint through SQL",
                "Use the JDBC savepoint API of this connection (setSavepoint, rollback(Savepoint),"
                        + " releaseSavepoint), which keeps the savepoint inside the branch."),
        SWITCHES_AUTOCOMMIT("switches auto-commit, which commits the branch on its own",
                "Auto-commit stays off while the connection is enlisted; the TransactionManager ends the transaction."),
        DRIVES_TWO_PHASE_COMMIT("drives two-phase commit, which QuorumTX runs for this branch",
                "QuorumTX prepares and finishes the branch; in-doubt branches are finished by recovery"
                        + " (or the recovery tool)."),
        COMMITS_IMPLICITLY("makes the database commit the open transaction implicitly, committing this"
                + " database's branch on its own",
                "Run it outside the QuorumTX transaction, on a connection taken while no transaction is active.");

        private final String effect;
        private final String instead;

        Kind(String effect, String instead) {
            this.effect = effect;
            this.instead = instead;
        }
    }

    /** H2 2.4 {@code SET} commands that change only the session and do not commit (measured). */
    private static final String[] H2_SESSION_SETTINGS = {"LOCK_TIMEOUT", "QUERY_TIMEOUT", "SCHEMA",
        "SCHEMA_SEARCH_PATH", "CATALOG", "TIME", "THROTTLE", "LAZY_QUERY_EXECUTION", "NON_KEYWORDS", "RETENTION_TIME",
        "VARIABLE_BINARY", "TRUNCATE_LARGE_LENGTH", "TRACE_LEVEL_FILE", "TRACE_LEVEL_SYSTEM_OUT", "CLUSTER", "WRITE_DELAY"};

    /** MariaDB {@code ANALYZE SELECT ...} runs and explains a statement; it does not commit. */
    private static final String[] MARIADB_ANALYZE_STATEMENT = {"SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "FORMAT"};
    // Implicit-commit statements by first letter, for the switch in kindAt.
    private static final String[] MYSQL_C_COMMITS = {"CHECK", "CACHE", "CHANGE"};
    /** {@code PREPARE TRANSACTION} (PostgreSQL), {@code PREPARE COMMIT} (H2). */
    private static final String[] PREPARE_TWO_PHASE = {"TRANSACTION", "COMMIT"};
    private static final String[] MYSQL_R_COMMITS = {"RENAME", "REPAIR", "RESET", "REVOKE"};
    private static final String[] H2_R_COMMITS = {"REVOKE", "RUNSCRIPT"};
    private static final String[] MYSQL_S_COMMITS = {"SHUTDOWN", "STOP"};
    private static final String[] H2_S_COMMITS = {"SHUTDOWN", "SCRIPT"};
    private static final String[] MYSQL_U_COMMITS = {"UNLOCK", "UNINSTALL"};

    private final String label;
    private final SqlLexer lexer;
    private final SqlLexer otherReading;

    TransactionControlSql(String label, SqlLexer lexer) {
        this.label = label;
        this.lexer = lexer;
        this.otherReading = lexer.otherBackslashReading();
    }

    /** The rules for the database a connection is connected to. */
    public static TransactionControlSql of(Connection connection) throws SQLException {
        return forProduct(connection.getMetaData().getDatabaseProductName());
    }

    /** The rules for a database, by {@code DatabaseMetaData.getDatabaseProductName()}. */
    static TransactionControlSql forProduct(String productName) {
        String product = String.valueOf(productName).toLowerCase(Locale.ROOT);
        if (product.equals("h2")) {
            return H2;
        }
        if (product.contains("postgresql")) {
            return POSTGRESQL;
        }
        if (product.contains("mysql") || product.contains("mariadb")) {
            return MYSQL;
        }
        return OTHER;
    }

    /** Where the first statement of {@code sql} that must not run starts, or -1 if none. */
    int refusedAt(String sql) {
        int at = refusedAt(sql, lexer);
        if (at < 0 && sql.indexOf('\\') >= 0) {
            at = refusedAt(sql, otherReading); // the server's reading of a backslash is not known here
        }
        return at;
    }

    private int refusedAt(String sql, SqlLexer lex) {
        int n = sql.length();
        int i = lex.skipSpace(sql, 0);
        if (sql.indexOf(';') < 0) {
            return i < n && kindAt(sql, i, lex) != null ? i : -1; // one statement: its first words decide
        }
        boolean statementStart = true;
        while (i < n) {
            char c = sql.charAt(i);
            if (c == ';') {
                statementStart = true;
                i = lex.skipSpace(sql, i + 1);
                continue;
            }
            if (statementStart) {
                if (kindAt(sql, i, lex) != null) {
                    return i;
                }
                statementStart = false;
            }
            i = lex.skipSpace(sql, lex.skipToken(sql, i));
        }
        return -1;
    }

    /** What the statement starting at {@code at} would do, or null when it may run. */
    Kind kindAt(String sql, int at) {
        Kind kind = kindAt(sql, at, lexer);
        return kind != null ? kind : kindAt(sql, at, otherReading);
    }

    @SuppressWarnings("StatementSwitchToExpressionSwitch") // cases return from inside nested ifs; an arrow switch would not read better
    private Kind kindAt(String s, int at, SqlLexer lex) {
        int p = at;
        while (p < s.length() && s.charAt(p) == '(') {
            p = lex.skipSpace(s, p + 1);
        }
        int e = SqlLexer.wordEnd(s, p);
        if (e == p) {
            return null;
        }
        // The second word is read only by the rules that need it: the common statements
        // (SELECT, INSERT, UPDATE, ...) are decided by their first letter and word alone.
        switch (Character.toUpperCase(s.charAt(p))) {
            case 'A':
                if (is(s, p, e, "ABORT")) {
                    return Kind.ENDS_TRANSACTION;
                }
                if (is(s, p, e, "ALTER")) {
                    return this == MYSQL || (this == H2 && !second(s, e, lex, "SEQUENCE")) ? Kind.COMMITS_IMPLICITLY : null;
                }
                if (is(s, p, e, "ANALYZE")) {
                    return this == H2 || (this == MYSQL && !secondAnyOf(s, e, lex, MARIADB_ANALYZE_STATEMENT)) ? Kind.COMMITS_IMPLICITLY : null;
                }
                return null;
            case 'B':
                if (is(s, p, e, "BEGIN")) {
                    return Kind.BEGINS_TRANSACTION;
                }
                return this == H2 && is(s, p, e, "BACKUP") ? Kind.COMMITS_IMPLICITLY : null;
            case 'C':
                if (is(s, p, e, "COMMIT")) {
                    if (second(s, e, lex, "PREPARED") || (this == H2 && second(s, e, lex, "TRANSACTION"))) {
                        return Kind.DRIVES_TWO_PHASE_COMMIT;
                    }
                    return Kind.ENDS_TRANSACTION;
                }
                if (is(s, p, e, "CREATE")) {
                    if (this == H2) {
                        return second(s, e, lex, "SEQUENCE") ? null : Kind.COMMITS_IMPLICITLY;
                    }
                    return this == MYSQL && !createsTemporaryTable(s, lex.skipSpace(s, e), lex) ? Kind.COMMITS_IMPLICITLY : null;
                }
                if (this == MYSQL && isAnyOf(s, p, e, MYSQL_C_COMMITS)) {
                    return Kind.COMMITS_IMPLICITLY;
                }
                return this == H2 && is(s, p, e, "COMMENT") ? Kind.COMMITS_IMPLICITLY : null;
            case 'D':
                if (is(s, p, e, "DROP")) {
                    return this == H2 || (this == MYSQL && !second(s, e, lex, "TEMPORARY")) ? Kind.COMMITS_IMPLICITLY : null;
                }
                return this == H2 && is(s, p, e, "DECLARE") ? Kind.COMMITS_IMPLICITLY : null;
            case 'E':
                return is(s, p, e, "END") ? Kind.ENDS_TRANSACTION : null;
            case 'F':
                return this == MYSQL && is(s, p, e, "FLUSH") ? Kind.COMMITS_IMPLICITLY : null;
            case 'G':
                return (this == MYSQL || this == H2) && is(s, p, e, "GRANT") ? Kind.COMMITS_IMPLICITLY : null;
            case 'I':
                return this == MYSQL && is(s, p, e, "INSTALL") ? Kind.COMMITS_IMPLICITLY : null;
            case 'L':
                if (this == MYSQL && (is(s, p, e, "LOCK") || (is(s, p, e, "LOAD") && second(s, e, lex, "INDEX")))) {
                    return Kind.COMMITS_IMPLICITLY;
                }
                return null;
            case 'O':
                return this == MYSQL && is(s, p, e, "OPTIMIZE") ? Kind.COMMITS_IMPLICITLY : null;
            case 'P':
                if (is(s, p, e, "PREPARE") && secondAnyOf(s, e, lex, PREPARE_TWO_PHASE)) {
                    return Kind.DRIVES_TWO_PHASE_COMMIT;
                }
                return null;
            case 'R':
                if (is(s, p, e, "ROLLBACK")) {
                    if (second(s, e, lex, "PREPARED") || (this == H2 && second(s, e, lex, "TRANSACTION")
                            && !hasWordBeforeEnd(s, e, lex, "TO"))) {
                        return Kind.DRIVES_TWO_PHASE_COMMIT;
                    }
                    return hasWordBeforeEnd(s, e, lex, "TO") ? Kind.NESTS_TRANSACTION : Kind.ENDS_TRANSACTION;
                }
                if (is(s, p, e, "RELEASE")) {
                    return Kind.NESTS_TRANSACTION;
                }
                if (this == MYSQL && isAnyOf(s, p, e, MYSQL_R_COMMITS)) {
                    return Kind.COMMITS_IMPLICITLY;
                }
                return this == H2 && isAnyOf(s, p, e, H2_R_COMMITS) ? Kind.COMMITS_IMPLICITLY : null;
            case 'S':
                if (is(s, p, e, "SET")) {
                    int p2 = lex.skipSpace(s, e);
                    return setKind(s, p2, SqlLexer.wordEnd(s, p2), lex);
                }
                if (is(s, p, e, "SAVEPOINT")) {
                    return Kind.NESTS_TRANSACTION;
                }
                if (is(s, p, e, "START")) {
                    return this != MYSQL || second(s, e, lex, "TRANSACTION") ? Kind.BEGINS_TRANSACTION : Kind.COMMITS_IMPLICITLY;
                }
                if (this == MYSQL && isAnyOf(s, p, e, MYSQL_S_COMMITS)) {
                    return Kind.COMMITS_IMPLICITLY;
                }
                return this == H2 && isAnyOf(s, p, e, H2_S_COMMITS) ? Kind.COMMITS_IMPLICITLY : null;
            case 'T':
                return (this == MYSQL || this == H2) && is(s, p, e, "TRUNCATE") ? Kind.COMMITS_IMPLICITLY : null;
            case 'U':
                return this == MYSQL && isAnyOf(s, p, e, MYSQL_U_COMMITS) ? Kind.COMMITS_IMPLICITLY : null;
            case 'X':
                return is(s, p, e, "XA") ? Kind.DRIVES_TWO_PHASE_COMMIT : null;
            default:
                return null;
        }
    }

    /** A {@code SET} statement whose second word starts at {@code p}. */
    private Kind setKind(String s, int p, int e, SqlLexer lex) {
        if (hasWordBeforeEnd(s, p, lex, "AUTOCOMMIT")) {
            return Kind.SWITCHES_AUTOCOMMIT; // SET autocommit, @@autocommit, SESSION autocommit, a=1, autocommit=0 ...
        }
        if (this == MYSQL) {
            if (is(s, p, e, "PASSWORD")) {
                return Kind.COMMITS_IMPLICITLY;
            }
            if (is(s, p, e, "STATEMENT")) { // MariaDB: SET STATEMENT var = value [, ...] FOR statement
                int forAt = wordBeforeEnd(s, e, lex, "FOR");
                return forAt < 0 ? null : kindAt(s, lex.skipSpace(s, forAt + 3), lex);
            }
            return null;
        }
        if (this == H2 && e > p) { // SET @variable (no word here) is a session variable
            for (String setting : H2_SESSION_SETTINGS) {
                if (is(s, p, e, setting)) {
                    return null;
                }
            }
            return Kind.COMMITS_IMPLICITLY;
        }
        return null;
    }

    /** MySQL: {@code CREATE [OR REPLACE] TEMPORARY TABLE} does not commit. */
    private static boolean createsTemporaryTable(String s, int p, SqlLexer lex) {
        int e = SqlLexer.wordEnd(s, p);
        if (is(s, p, e, "OR")) {
            p = lex.skipSpace(s, e);
            e = SqlLexer.wordEnd(s, p);
            if (!is(s, p, e, "REPLACE")) {
                return false;
            }
            p = lex.skipSpace(s, e);
            e = SqlLexer.wordEnd(s, p);
        }
        return is(s, p, e, "TEMPORARY");
    }

    private static boolean hasWordBeforeEnd(String s, int from, SqlLexer lex, String word) {
        return wordBeforeEnd(s, from, lex, word) >= 0;
    }

    /** Where {@code word} occurs as a word of this statement at or after {@code from}, or -1. */
    private static int wordBeforeEnd(String s, int from, SqlLexer lex, String word) {
        int n = s.length();
        int i = lex.skipSpace(s, from);
        while (i < n && s.charAt(i) != ';') {
            int next = lex.skipToken(s, i);
            if (next > i && SqlLexer.isWordChar(s.charAt(i)) && is(s, i, next, word)) {
                return i;
            }
            i = lex.skipSpace(s, next);
        }
        return -1;
    }

    private static boolean is(String s, int p, int e, String word) {
        return e - p == word.length() && s.regionMatches(true, p, word, 0, word.length());
    }

    private static boolean second(String s, int e, SqlLexer lex, String word) {
        int p2 = lex.skipSpace(s, e);
        return is(s, p2, SqlLexer.wordEnd(s, p2), word);
    }

    private static boolean secondAnyOf(String s, int e, SqlLexer lex, String[] words) {
        int p2 = lex.skipSpace(s, e);
        return isAnyOf(s, p2, SqlLexer.wordEnd(s, p2), words);
    }

    private static boolean isAnyOf(String s, int p, int e, String[] words) {
        for (String word : words) {
            if (is(s, p, e, word)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The refusal: names the statement by its first words only (never its literals, which may
     * hold a password), says what it would do and what to do instead.
     */
    String refusal(String sql, int at) {
        Kind kind = kindAt(sql, at);
        int p = lexer.skipSpace(sql, at);
        while (p < sql.length() && sql.charAt(p) == '(') {
            p = lexer.skipSpace(sql, p + 1);
        }
        int e = SqlLexer.wordEnd(sql, p);
        String words = sql.substring(p, e).toUpperCase(Locale.ROOT);
        if (kind == Kind.SWITCHES_AUTOCOMMIT) {
            words = "SET ... AUTOCOMMIT";
        } else if (kind != Kind.ENDS_TRANSACTION && kind != Kind.BEGINS_TRANSACTION) {
            int p2 = lexer.skipSpace(sql, e);
            int e2 = SqlLexer.wordEnd(sql, p2);
            words = e2 > p2 ? words + " " + sql.substring(p2, e2).toUpperCase(Locale.ROOT) : words;
        }
        String effect = kind == Kind.COMMITS_IMPLICITLY ? kind.effect.replace("the database", label) : kind.effect;
        return "SQL " + words + " (at character " + at + " of the statement text) is refused on a connection enlisted"
                + " in a QuorumTX transaction: it " + effect + ", while the other databases follow the transaction"
                + " manager's decision, which would break atomicity. " + kind.instead
                + " Only the TransactionManager (or UserTransaction) begins and ends the transaction.";
    }
}
