package io.quorumtx.jdbc.dialect;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import javax.transaction.xa.Xid;

/**
 * How one database runs a two-phase-commit branch through its own SQL, on an ordinary
 * (non-XA) connection such as one from an application's HikariCP pool.
 *
 * <p>{@link DialectXAResource} drives a dialect and keeps the XA state machine; a dialect only
 * knows its statements and how to write an {@link Xid} as a name the database accepts. Each
 * dialect encodes Xids exactly as the database's own JDBC XA driver does where one exists, so a
 * branch prepared through an XADataSource can be finished through the dialect and vice versa.
 *
 * <p>The methods run on the connection that carries the branch, except {@link #commitPrepared},
 * {@link #rollbackPrepared} and {@link #recover}, which also run on a separate recovery
 * connection in auto-commit mode.
 */
public interface Dialect {

    /** H2 2.x: {@code PREPARE COMMIT}, {@code COMMIT TRANSACTION}, {@code INFORMATION_SCHEMA.IN_DOUBT}. */
    static Dialect h2() {
        return H2Dialect.INSTANCE;
    }

    /** PostgreSQL: {@code PREPARE TRANSACTION}, {@code COMMIT PREPARED}, {@code pg_prepared_xacts}. */
    static Dialect postgresql() {
        return PostgreSqlDialect.INSTANCE;
    }

    /** MySQL and MariaDB: {@code XA START/END/PREPARE/COMMIT/ROLLBACK}, {@code XA RECOVER}. */
    static Dialect mysql() {
        return MySqlDialect.INSTANCE;
    }

    /**
     * The dialect of the database {@code connection} is connected to, by
     * {@code DatabaseMetaData.getDatabaseProductName()}: H2, PostgreSQL, MySQL or MariaDB (the same
     * reading as the adapter's guard against transaction-control SQL). For integrations that
     * write their own tables (the messaging outbox and inbox) and must pick their SQL.
     *
     * @throws SQLException if the metadata cannot be read, or the database is none of these
     *     (the message names the product)
     */
    static Dialect of(Connection connection) throws SQLException {
        String product = String.valueOf(connection.getMetaData().getDatabaseProductName());
        String lower = product.toLowerCase(Locale.ROOT);
        if (lower.equals("h2")) {
            return h2();
        }
        if (lower.contains("postgresql")) {
            return postgresql();
        }
        if (lower.contains("mysql") || lower.contains("mariadb")) {
            return mysql();
        }
        throw new SQLException("No QuorumTX dialect for database product '" + product
                + "': H2, PostgreSQL, MySQL and MariaDB are supported");
    }

    /** Short name for messages, e.g. {@code "h2"}. */
    String name();

    /**
     * Whether the branch is the connection's local transaction, so auto-commit must stay off
     * while it is open (H2, PostgreSQL); false when the database's XA statements govern the
     * session regardless (MySQL, MariaDB).
     */
    boolean branchIsLocalTransaction();

    /** Starts the branch: work on {@code connection} from now on belongs to {@code xid}. */
    void start(Connection connection, Xid xid) throws SQLException;

    /** Ends the work on the branch (before prepare or a one-phase commit). */
    void end(Connection connection, Xid xid) throws SQLException;

    /** Prepares the ended branch so that it survives a crash of the database or the client. */
    void prepare(Connection connection, Xid xid) throws SQLException;

    /** Commits the ended, unprepared branch in one phase. */
    void commitOnePhase(Connection connection, Xid xid) throws SQLException;

    /** Rolls back the unprepared branch on the connection that carries it. */
    void rollbackUnprepared(Connection connection, Xid xid) throws SQLException;

    /** Commits a prepared branch. */
    void commitPrepared(Connection connection, Xid xid) throws SQLException;

    /** Rolls back a prepared branch. */
    void rollbackPrepared(Connection connection, Xid xid) throws SQLException;

    /**
     * Lists the prepared branches of this database whose names this dialect can decode; names
     * written by other software are skipped, never failed on.
     */
    List<Xid> recover(Connection connection) throws SQLException;

    /** Whether {@code e} says that the named branch does not exist (already finished, or never prepared). */
    boolean isUnknownBranch(SQLException e);
}
