package io.quorumtx.jdbc.internal;

import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLNonTransientException;
import java.sql.Statement;
import java.util.concurrent.Executor;

/**
 * What the application holds inside a transaction: a cheap handle on the transaction's physical
 * connection. Closing it only ends this handle; the connection stays with the transaction until
 * it completes. Ending the transaction through the connection is refused, because the
 * transaction manager, not the connection, decides the outcome of a distributed transaction.
 *
 * <p>The refusal holds on every path JDBC offers back to a connection: statements, result sets
 * and metadata created through this handle answer {@code getConnection()} with this handle
 * ({@link HandleStatement} explains why), not with the pooled connection behind it. The same
 * refusal covers SQL text: {@code execute("COMMIT")}, DDL that commits implicitly on H2 and
 * MySQL/MariaDB, and the rest {@link TransactionControlSql} lists, through statements, prepared
 * and callable statements and batches.
 */
public final class EnlistedConnection extends DelegatingConnection {

    static final String FORBIDDEN = "connection is enlisted in a QuorumTX transaction;"
            + " commit or roll back through the TransactionManager";

    /** SQLSTATE of refused SQL: 25000, invalid transaction state. */
    static final String REFUSED_SQL_STATE = "25000";

    private final Enlistment enlistment;
    private volatile boolean closed;

    EnlistedConnection(Enlistment enlistment) {
        this.enlistment = enlistment;
    }

    @Override
    protected Connection delegate() throws SQLException {
        if (closed) {
            throw new SQLException("connection handle is closed; get a new connection from the DataSource", "08003");
        }
        return enlistment.connection();
    }

    /**
     * Refuses SQL that would end, begin or nest the transaction, or commit it implicitly, as
     * {@link #commit()} is refused; {@link TransactionControlSql} says which, per database.
     */
    @Override
    protected String sqlToRun(String sql) throws SQLException {
        return checked(sql);
    }

    String checked(String sql) throws SQLException {
        if (sql == null) {
            return null; // the driver's own error
        }
        TransactionControlSql rules = enlistment.sqlRules();
        int at = rules.refusedAt(sql);
        if (at >= 0) {
            throw new SQLNonTransientException(rules.refusal(sql, at), REFUSED_SQL_STATE);
        }
        return sql;
    }

    @Override
    protected Statement statement(Statement created) {
        return new HandleStatement(this, created);
    }

    @Override
    protected PreparedStatement preparedStatement(PreparedStatement created) {
        return new HandlePreparedStatement(this, created);
    }

    @Override
    protected CallableStatement callableStatement(CallableStatement created) {
        return new HandleCallableStatement(this, created);
    }

    @Override
    protected DatabaseMetaData metaData(DatabaseMetaData created) {
        return new HandleDatabaseMetaData(this, created);
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public boolean isClosed() {
        return closed || enlistment.isCompleted();
    }

    @Override
    public void commit() throws SQLException {
        delegate();
        throw new SQLException(FORBIDDEN + " (commit() was called)", "2D000");
    }

    @Override
    public void rollback() throws SQLException {
        delegate();
        throw new SQLException(FORBIDDEN + " (rollback() was called; use setRollbackOnly() to force a rollback)", "2D000");
    }

    @Override
    public void setAutoCommit(boolean autoCommit) throws SQLException {
        delegate();
        if (autoCommit) {
            throw new SQLException(FORBIDDEN + " (setAutoCommit(true) was called)", "2D000");
        }
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        delegate();
        return false;
    }

    /**
     * H2 2.4 commits the open transaction on {@code setTransactionIsolation}, even to the level the
     * connection already has (measured), which would commit this branch on its own. So on H2 the
     * level it has is accepted without a call to the driver, and another level is refused; other
     * databases decide themselves (PostgreSQL refuses a change inside a transaction, MySQL applies
     * it to the next one).
     */
    @Override
    public void setTransactionIsolation(int level) throws SQLException {
        Connection physical = delegate();
        if (enlistment.sqlRules() != TransactionControlSql.H2) {
            physical.setTransactionIsolation(level);
        } else if (physical.getTransactionIsolation() != level) {
            throw new SQLNonTransientException("setTransactionIsolation(" + level + ") is refused on an H2 connection"
                    + " enlisted in a QuorumTX transaction: H2 commits the open transaction when the isolation level"
                    + " is set, which would commit this database's branch on its own while the other databases follow"
                    + " the transaction manager's decision. Set the level before the transaction begins (for example"
                    + " HikariCP's transactionIsolation); only the TransactionManager (or UserTransaction) begins and"
                    + " ends the transaction.", REFUSED_SQL_STATE);
        }
    }

    /**
     * Passes the abort to the physical connection, as JDBC promises; what that does is the
     * driver's business (H2 2.4.240's embedded connection ignores it). A branch whose connection
     * no longer works fails at completion, and its connection is evicted rather than reused.
     */
    @Override
    public void abort(Executor executor) throws SQLException {
        Connection physical = delegate();
        closed = true;
        physical.abort(executor);
    }

    /**
     * {@code unwrap(Connection.class)} (or any interface this handle implements) answers this
     * handle, so generic code that unwraps keeps the guard. Only a class of the pool or driver
     * (HikariCP's proxy, {@code org.h2.jdbc.JdbcConnection}, {@code PGConnection}, ...) reaches
     * the pooled connection: the documented way to driver-specific API, and also to an unguarded
     * {@code commit()}. Refusing it would break legitimate driver features, and asking for the
     * driver's class by name is a deliberate step outside QuorumTX.
     */
    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        return type.isInstance(this) ? type.cast(this) : delegate().unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return type.isInstance(this) || delegate().isWrapperFor(type);
    }

    @Override
    public String toString() {
        return "EnlistedConnection[" + (closed ? "closed" : "open") + "]";
    }
}
