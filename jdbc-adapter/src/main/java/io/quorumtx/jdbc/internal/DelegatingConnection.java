package io.quorumtx.jdbc.internal;

import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * A {@link Connection} that forwards every call to {@link #delegate()}.
 *
 * <p>Written out method by method (generated once from {@code java.sql.Connection}) rather than
 * as a {@link java.lang.reflect.Proxy}: connection
 * handles sit on the hot path of every transaction, and a plain virtual call costs neither the
 * reflective dispatch nor the argument array a proxy allocates per call. Subclasses decide what
 * {@link #delegate()} checks (a closed handle, a completed transaction) and implement the calls
 * whose meaning changes under a transaction manager: close, commit, rollback, auto-commit,
 * abort and unwrapping. The hooks {@link #statement(Statement)} and its siblings let a subclass
 * hand out statements and metadata that lead back to it rather than to the delegate.
 */
public abstract class DelegatingConnection implements Connection {

    /** The connection to forward to; may throw when the caller may no longer use this one. */
    protected abstract Connection delegate() throws SQLException;

    /**
     * What the caller gets for a statement the delegate created; by default the statement itself.
     * A subclass that stands in for the delegate returns one whose {@code getConnection()} answers
     * with this connection instead, so that no path leads from the statement around the subclass.
     */
    protected Statement statement(Statement created) {
        return created;
    }

    /** As {@link #statement(Statement)}, for prepared statements. */
    protected PreparedStatement preparedStatement(PreparedStatement created) {
        return created;
    }

    /** As {@link #statement(Statement)}, for callable statements. */
    protected CallableStatement callableStatement(CallableStatement created) {
        return created;
    }

    /**
     * The SQL text given to {@code prepareStatement} or {@code prepareCall}, before the delegate
     * sees it; by default unchanged. A subclass may refuse SQL it must not run.
     */
    protected String sqlToRun(String sql) throws SQLException {
        return sql;
    }

    /** As {@link #statement(Statement)}, for the database metadata, which also leads back to a connection. */
    protected DatabaseMetaData metaData(DatabaseMetaData created) {
        return created;
    }

    @Override
    public final void clearWarnings() throws SQLException {
        delegate().clearWarnings();
    }

    @Override
    public final Array createArrayOf(String typeName, Object[] elements) throws SQLException {
        return delegate().createArrayOf(typeName, elements);
    }

    @Override
    public final Blob createBlob() throws SQLException {
        return delegate().createBlob();
    }

    @Override
    public final Clob createClob() throws SQLException {
        return delegate().createClob();
    }

    @Override
    public final NClob createNClob() throws SQLException {
        return delegate().createNClob();
    }

    @Override
    public final SQLXML createSQLXML() throws SQLException {
        return delegate().createSQLXML();
    }

    @Override
    public final Statement createStatement() throws SQLException {
        return statement(delegate().createStatement());
    }

    @Override
    public final Statement createStatement(int resultSetType, int resultSetConcurrency, int resultSetHoldability) throws SQLException {
        return statement(delegate().createStatement(resultSetType, resultSetConcurrency, resultSetHoldability));
    }

    @Override
    public final Statement createStatement(int resultSetType, int resultSetConcurrency) throws SQLException {
        return statement(delegate().createStatement(resultSetType, resultSetConcurrency));
    }

    @Override
    public final Struct createStruct(String typeName, Object[] elements) throws SQLException {
        return delegate().createStruct(typeName, elements);
    }

    @Override
    public final String getCatalog() throws SQLException {
        return delegate().getCatalog();
    }

    @Override
    public final Properties getClientInfo() throws SQLException {
        return delegate().getClientInfo();
    }

    @Override
    public final String getClientInfo(String name) throws SQLException {
        return delegate().getClientInfo(name);
    }

    @Override
    public final int getHoldability() throws SQLException {
        return delegate().getHoldability();
    }

    @Override
    public final DatabaseMetaData getMetaData() throws SQLException {
        return metaData(delegate().getMetaData());
    }

    @Override
    public final int getNetworkTimeout() throws SQLException {
        return delegate().getNetworkTimeout();
    }

    @Override
    public final String getSchema() throws SQLException {
        return delegate().getSchema();
    }

    @Override
    public final int getTransactionIsolation() throws SQLException {
        return delegate().getTransactionIsolation();
    }

    @Override
    public final Map<String, Class<?>> getTypeMap() throws SQLException {
        return delegate().getTypeMap();
    }

    @Override
    public final SQLWarning getWarnings() throws SQLException {
        return delegate().getWarnings();
    }

    @Override
    public final boolean isReadOnly() throws SQLException {
        return delegate().isReadOnly();
    }

    @Override
    public final boolean isValid(int timeoutSeconds) throws SQLException {
        return delegate().isValid(timeoutSeconds);
    }

    @Override
    public final String nativeSQL(String sql) throws SQLException {
        return delegate().nativeSQL(sql);
    }

    @Override
    public final CallableStatement prepareCall(String sql, int resultSetType, int resultSetConcurrency, int resultSetHoldability) throws SQLException {
        return callableStatement(delegate().prepareCall(sqlToRun(sql), resultSetType, resultSetConcurrency, resultSetHoldability));
    }

    @Override
    public final CallableStatement prepareCall(String sql, int resultSetType, int resultSetConcurrency) throws SQLException {
        return callableStatement(delegate().prepareCall(sqlToRun(sql), resultSetType, resultSetConcurrency));
    }

    @Override
    public final CallableStatement prepareCall(String sql) throws SQLException {
        return callableStatement(delegate().prepareCall(sqlToRun(sql)));
    }

    @Override
    public final PreparedStatement prepareStatement(String sql, int[] columnIndexes) throws SQLException {
        return preparedStatement(delegate().prepareStatement(sqlToRun(sql), columnIndexes));
    }

    @Override
    public final PreparedStatement prepareStatement(String sql, String[] columnNames) throws SQLException {
        return preparedStatement(delegate().prepareStatement(sqlToRun(sql), columnNames));
    }

    @Override
    public final PreparedStatement prepareStatement(String sql, int resultSetType, int resultSetConcurrency, int resultSetHoldability) throws SQLException {
        return preparedStatement(delegate().prepareStatement(sqlToRun(sql), resultSetType, resultSetConcurrency, resultSetHoldability));
    }

    @Override
    public final PreparedStatement prepareStatement(String sql, int resultSetType, int resultSetConcurrency) throws SQLException {
        return preparedStatement(delegate().prepareStatement(sqlToRun(sql), resultSetType, resultSetConcurrency));
    }

    @Override
    public final PreparedStatement prepareStatement(String sql, int autoGeneratedKeys) throws SQLException {
        return preparedStatement(delegate().prepareStatement(sqlToRun(sql), autoGeneratedKeys));
    }

    @Override
    public final PreparedStatement prepareStatement(String sql) throws SQLException {
        return preparedStatement(delegate().prepareStatement(sqlToRun(sql)));
    }

    @Override
    public final void releaseSavepoint(Savepoint savepoint) throws SQLException {
        delegate().releaseSavepoint(savepoint);
    }

    @Override
    public final void rollback(Savepoint savepoint) throws SQLException {
        delegate().rollback(savepoint);
    }

    @Override
    public final void setCatalog(String catalog) throws SQLException {
        delegate().setCatalog(catalog);
    }

    @Override
    public final void setClientInfo(String name, String value) throws SQLClientInfoException {
        clientInfoTarget().setClientInfo(name, value);
    }

    @Override
    public final void setClientInfo(Properties properties) throws SQLClientInfoException {
        clientInfoTarget().setClientInfo(properties);
    }

    @Override
    public final void setHoldability(int holdability) throws SQLException {
        delegate().setHoldability(holdability);
    }

    @Override
    public final void setNetworkTimeout(Executor executor, int milliseconds) throws SQLException {
        delegate().setNetworkTimeout(executor, milliseconds);
    }

    @Override
    public final void setReadOnly(boolean readOnly) throws SQLException {
        delegate().setReadOnly(readOnly);
    }

    @Override
    public final Savepoint setSavepoint() throws SQLException {
        return delegate().setSavepoint();
    }

    @Override
    public final Savepoint setSavepoint(String name) throws SQLException {
        return delegate().setSavepoint(name);
    }

    @Override
    public final void setSchema(String schema) throws SQLException {
        delegate().setSchema(schema);
    }

    /** Not final: changing the isolation level can end a transaction (H2 commits); see EnlistedConnection. */
    @Override
    public void setTransactionIsolation(int level) throws SQLException {
        delegate().setTransactionIsolation(level);
    }

    @Override
    public final void setTypeMap(Map<String, Class<?>> map) throws SQLException {
        delegate().setTypeMap(map);
    }

    // setClientInfo may only throw SQLClientInfoException, so delegate()'s failure is re-wrapped.
    private Connection clientInfoTarget() throws SQLClientInfoException {
        try {
            return delegate();
        } catch (SQLClientInfoException e) {
            throw e;
        } catch (SQLException e) {
            throw new SQLClientInfoException(e.getMessage(), e.getSQLState(), e.getErrorCode(), Map.of(), e);
        }
    }
}
