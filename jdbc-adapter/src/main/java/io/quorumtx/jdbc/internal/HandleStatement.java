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
 * <p>One small object per statement (and per result set), a class rather than a
 * {@link java.lang.reflect.Proxy}, for the reason {@link DelegatingConnection} gives: statements
 * are on every transaction's hot path. Only {@code getConnection}, the calls that take SQL text,
 * the calls that return result sets (whose {@code getStatement()} must lead back here) and
 * unwrapping differ from the driver's statement; they are written here, and every other call is
 * forwarded to the driver's statement by {@code ForwardingHandleStatement} (and its prepared and
 * callable siblings), generated at build time ({@link GenerateForwarders}).
 *
 * <p>Every method that takes SQL text (execute, executeUpdate, executeLargeUpdate, executeQuery,
 * addBatch) first asks the handle whether it may run it: SQL that would end, begin or nest the
 * transaction, or commit it implicitly, is refused before it reaches the driver
 * ({@link TransactionControlSql}).
 */
@GenerateForwarders
abstract class HandleStatement implements Statement {

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
            return new ForwardingHandleCallableStatement(handle, callable);
        }
        if (statement instanceof PreparedStatement prepared) {
            return new ForwardingHandlePreparedStatement(handle, prepared);
        }
        return new ForwardingHandleStatement(handle, statement);
    }

    /** The driver's statement, which the generated forwarders call. */
    Statement delegate() {
        return statement;
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
        return resultSet == null ? null : new ForwardingHandleResultSet(this, resultSet);
    }

    /** The same result set answers the same wrapper, as JDBC code calling this twice expects. */

    @Override
    public final ResultSet getResultSet() throws SQLException {
        ResultSet current = statement.getResultSet();
        if (current != lastResultSet) {
            lastResultSet = current;
            lastHandedOut = current == null ? null : new ForwardingHandleResultSet(this, current);
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

    // Calls that take SQL text (checked first) or return result sets (wrapped); the rest is generated.

    @Override
    public void addBatch(String sql) throws SQLException {
        statement.addBatch(checked(sql));
    }

    @Override
    public boolean execute(String sql) throws SQLException {
        return statement.execute(checked(sql));
    }

    @Override
    public boolean execute(String sql, int[] columnIndexes) throws SQLException {
        return statement.execute(checked(sql), columnIndexes);
    }

    @Override
    public boolean execute(String sql, String[] columnNames) throws SQLException {
        return statement.execute(checked(sql), columnNames);
    }

    @Override
    public boolean execute(String sql, int autoGeneratedKeys) throws SQLException {
        return statement.execute(checked(sql), autoGeneratedKeys);
    }

    @Override
    public long executeLargeUpdate(String sql) throws SQLException {
        return statement.executeLargeUpdate(checked(sql));
    }

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

    @Override
    public ResultSet executeQuery(String sql) throws SQLException {
        return results(statement.executeQuery(checked(sql)));
    }

    @Override
    public int executeUpdate(String sql) throws SQLException {
        return statement.executeUpdate(checked(sql));
    }

    @Override
    public int executeUpdate(String sql, int[] columnIndexes) throws SQLException {
        return statement.executeUpdate(checked(sql), columnIndexes);
    }

    @Override
    public int executeUpdate(String sql, String[] columnNames) throws SQLException {
        return statement.executeUpdate(checked(sql), columnNames);
    }

    @Override
    public int executeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
        return statement.executeUpdate(checked(sql), autoGeneratedKeys);
    }

    @Override
    public ResultSet getGeneratedKeys() throws SQLException {
        return results(statement.getGeneratedKeys());
    }
}
