package io.quorumtx.jdbc.internal;

import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;

/**
 * A statement created through an {@link EnlistedConnection}: {@link #getConnection()} answers
 * with that handle, not with the pooled connection behind it.
 *
 * <p>JDBC lets code walk from a statement, its result sets or the connection's metadata back to
 * "its" connection, and ORMs do. Answered with the pool's or driver's connection, that walk goes
 * around the handle's refusal of {@code commit()}, {@code rollback()} and
 * {@code setAutoCommit(true)}, and one branch could commit outside two-phase commit. HikariCP's
 * {@code ProxyStatement} answers with its proxy connection for the same reason.
 *
 * <p>One small object per statement (and per result set), written out rather than built with
 * {@link java.lang.reflect.Proxy}, for the reason {@link DelegatingConnection} gives: statements
 * are on every transaction's hot path. Only {@code getConnection}, the calls that return result
 * sets (whose {@code getStatement()} must lead back here) and unwrapping differ from the driver's
 * statement; the forwarders below them were generated once from {@code java.sql.Statement}.
 *
 * <p>Every method that takes SQL text (execute, executeUpdate, executeLargeUpdate, executeQuery,
 * addBatch) first asks the handle whether it may run it: SQL that would end, begin or nest the
 * transaction, or commit it implicitly, is refused before it reaches the driver
 * ({@link TransactionControlSql}).
 */
class HandleStatement implements Statement {

    private final EnlistedConnection handle;
    private final Statement statement;
    private ResultSet lastResultSet;
    private HandleResultSet lastHandedOut;

    HandleStatement(EnlistedConnection handle, Statement statement) {
        this.handle = handle;
        this.statement = statement;
    }

    /** The right wrapper for a statement the driver made on its own, such as a metadata result set's. */
    static Statement of(EnlistedConnection handle, Statement statement) {
        if (statement instanceof CallableStatement callable) {
            return new HandleCallableStatement(handle, callable);
        }
        if (statement instanceof PreparedStatement prepared) {
            return new HandlePreparedStatement(handle, prepared);
        }
        return new HandleStatement(handle, statement);
    }

    @Override
    public final Connection getConnection() {
        return handle;
    }

    final Connection handle() {
        return handle;
    }

    /** SQL given as text to this statement runs only if the enlisted connection may run it; see {@link TransactionControlSql}. */
    private String checked(String sql) throws SQLException {
        return handle.checked(sql);
    }

    final ResultSet results(ResultSet resultSet) {
        return resultSet == null ? null : new HandleResultSet(this, resultSet);
    }

    /** The same result set answers the same wrapper, as JDBC code calling this twice expects. */
    @Override
    public final ResultSet getResultSet() throws SQLException {
        ResultSet current = statement.getResultSet();
        if (current != lastResultSet) {
            lastResultSet = current;
            lastHandedOut = current == null ? null : new HandleResultSet(this, current);
        }
        return lastHandedOut;
    }

    /**
     * Unwraps to this statement for every interface it implements, so code asking for
     * {@code Statement} or {@code PreparedStatement} keeps the guard. A driver's own class
     * unwraps to the driver's statement, whose {@code getConnection()} is not guarded: asking
     * for the driver's class is asking to step outside QuorumTX, as with the connection.
     */
    @Override
    public final <T> T unwrap(Class<T> type) throws SQLException {
        return type.isInstance(this) ? type.cast(this) : statement.unwrap(type);
    }

    @Override
    public final boolean isWrapperFor(Class<?> type) throws SQLException {
        return type.isInstance(this) || statement.isWrapperFor(type);
    }

    @Override
    public String toString() {
        return "HandleStatement[" + statement + "]";
    }

    // Forwarded unchanged; generated from java.sql.Statement.

    @Override public void addBatch(String sql) throws SQLException { statement.addBatch(checked(sql)); }
    @Override public void cancel() throws SQLException { statement.cancel(); }
    @Override public void clearBatch() throws SQLException { statement.clearBatch(); }
    @Override public void clearWarnings() throws SQLException { statement.clearWarnings(); }
    @Override public void close() throws SQLException { statement.close(); }
    @Override public void closeOnCompletion() throws SQLException { statement.closeOnCompletion(); }
    @Override
    public String enquoteIdentifier(String value, boolean alwaysQuote) throws SQLException {
        return statement.enquoteIdentifier(value, alwaysQuote);
    }
    @Override public String enquoteLiteral(String value) throws SQLException { return statement.enquoteLiteral(value); }
    @Override public String enquoteNCharLiteral(String value) throws SQLException { return statement.enquoteNCharLiteral(value); }
    @Override public boolean execute(String sql) throws SQLException { return statement.execute(checked(sql)); }
    @Override public boolean execute(String sql, int[] columnIndexes) throws SQLException { return statement.execute(checked(sql), columnIndexes); }
    @Override public boolean execute(String sql, String[] columnNames) throws SQLException { return statement.execute(checked(sql), columnNames); }
    @Override public boolean execute(String sql, int autoGeneratedKeys) throws SQLException { return statement.execute(checked(sql), autoGeneratedKeys); }
    @Override public int[] executeBatch() throws SQLException { return statement.executeBatch(); }
    @Override public long[] executeLargeBatch() throws SQLException { return statement.executeLargeBatch(); }
    @Override public long executeLargeUpdate(String sql) throws SQLException { return statement.executeLargeUpdate(checked(sql)); }
    @Override
    public long executeLargeUpdate(String sql, int[] columnIndexes) throws SQLException {
        return statement.executeLargeUpdate(checked(sql), columnIndexes);
    }
    @Override
    public long executeLargeUpdate(String sql, String[] columnNames) throws SQLException {
        return statement.executeLargeUpdate(checked(sql), columnNames);
    }
    @Override
    public long executeLargeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
        return statement.executeLargeUpdate(checked(sql), autoGeneratedKeys);
    }
    @Override public ResultSet executeQuery(String sql) throws SQLException { return results(statement.executeQuery(checked(sql))); }
    @Override public int executeUpdate(String sql) throws SQLException { return statement.executeUpdate(checked(sql)); }
    @Override public int executeUpdate(String sql, int[] columnIndexes) throws SQLException { return statement.executeUpdate(checked(sql), columnIndexes); }
    @Override public int executeUpdate(String sql, String[] columnNames) throws SQLException { return statement.executeUpdate(checked(sql), columnNames); }
    @Override
    public int executeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
        return statement.executeUpdate(checked(sql), autoGeneratedKeys);
    }
    @Override public int getFetchDirection() throws SQLException { return statement.getFetchDirection(); }
    @Override public int getFetchSize() throws SQLException { return statement.getFetchSize(); }
    @Override public ResultSet getGeneratedKeys() throws SQLException { return results(statement.getGeneratedKeys()); }
    @Override public long getLargeMaxRows() throws SQLException { return statement.getLargeMaxRows(); }
    @Override public long getLargeUpdateCount() throws SQLException { return statement.getLargeUpdateCount(); }
    @Override public int getMaxFieldSize() throws SQLException { return statement.getMaxFieldSize(); }
    @Override public int getMaxRows() throws SQLException { return statement.getMaxRows(); }
    @Override public boolean getMoreResults() throws SQLException { return statement.getMoreResults(); }
    @Override public boolean getMoreResults(int current) throws SQLException { return statement.getMoreResults(current); }
    @Override public int getQueryTimeout() throws SQLException { return statement.getQueryTimeout(); }
    @Override public int getResultSetConcurrency() throws SQLException { return statement.getResultSetConcurrency(); }
    @Override public int getResultSetHoldability() throws SQLException { return statement.getResultSetHoldability(); }
    @Override public int getResultSetType() throws SQLException { return statement.getResultSetType(); }
    @Override public int getUpdateCount() throws SQLException { return statement.getUpdateCount(); }
    @Override public SQLWarning getWarnings() throws SQLException { return statement.getWarnings(); }
    @Override public boolean isCloseOnCompletion() throws SQLException { return statement.isCloseOnCompletion(); }
    @Override public boolean isClosed() throws SQLException { return statement.isClosed(); }
    @Override public boolean isPoolable() throws SQLException { return statement.isPoolable(); }
    @Override public boolean isSimpleIdentifier(String identifier) throws SQLException { return statement.isSimpleIdentifier(identifier); }
    @Override public void setCursorName(String name) throws SQLException { statement.setCursorName(name); }
    @Override public void setEscapeProcessing(boolean value) throws SQLException { statement.setEscapeProcessing(value); }
    @Override public void setFetchDirection(int value) throws SQLException { statement.setFetchDirection(value); }
    @Override public void setFetchSize(int value) throws SQLException { statement.setFetchSize(value); }
    @Override public void setLargeMaxRows(long value) throws SQLException { statement.setLargeMaxRows(value); }
    @Override public void setMaxFieldSize(int value) throws SQLException { statement.setMaxFieldSize(value); }
    @Override public void setMaxRows(int value) throws SQLException { statement.setMaxRows(value); }
    @Override public void setPoolable(boolean value) throws SQLException { statement.setPoolable(value); }
    @Override public void setQueryTimeout(int value) throws SQLException { statement.setQueryTimeout(value); }
}
