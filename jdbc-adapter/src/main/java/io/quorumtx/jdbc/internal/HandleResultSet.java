package io.quorumtx.jdbc.internal;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A result set of a {@link HandleStatement} (or of a {@link HandleDatabaseMetaData}): its
 * {@link #getStatement()} answers with the wrapping statement, whose {@code getConnection()} is
 * the application's handle, so {@code resultSet.getStatement().getConnection().commit()} is
 * refused like {@code connection.commit()}. That and unwrapping are all that differ from the
 * driver's result set; the getters, updaters and cursor moves are forwarded by
 * {@code ForwardingHandleResultSet}, generated at build time ({@link GenerateForwarders}).
 */
@GenerateForwarders
abstract class HandleResultSet implements ResultSet {

    private final Statement statement;
    private final ResultSet resultSet;

    /** {@code statement} may be null, for a metadata result set that belongs to no statement. */
    HandleResultSet(Statement statement, ResultSet resultSet) {
        this.statement = statement;
        this.resultSet = resultSet;
    }

    /** The driver's result set, which the generated forwarders call. */
    final ResultSet delegate() {
        return resultSet;
    }

    @Override
    public final Statement getStatement() {
        return statement;
    }

    /** Unwrapping follows {@link HandleStatement#unwrap}: a driver's class reaches the driver's result set. */
    @Override
    public final <T> T unwrap(Class<T> type) throws SQLException {
        return type.isInstance(this) ? type.cast(this) : resultSet.unwrap(type);
    }

    @Override
    public final boolean isWrapperFor(Class<?> type) throws SQLException {
        return type.isInstance(this) || resultSet.isWrapperFor(type);
    }

    @Override
    public String toString() {
        return "HandleResultSet[" + resultSet + "]";
    }
}
