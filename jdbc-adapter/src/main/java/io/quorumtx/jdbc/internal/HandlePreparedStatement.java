package io.quorumtx.jdbc.internal;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.Date;
import java.sql.NClob;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.SQLXML;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Calendar;

/**
 * A prepared statement created through an {@link EnlistedConnection}; see {@link HandleStatement}
 * for why it exists. Only {@code executeQuery()} differs from the driver's (besides what
 * {@link HandleStatement} does); the parameter setters and the rest are forwarded by
 * {@code ForwardingHandlePreparedStatement}, generated at build time ({@link GenerateForwarders}).
 */
@GenerateForwarders
abstract class HandlePreparedStatement extends HandleStatement implements PreparedStatement {

    private final PreparedStatement prepared;

    HandlePreparedStatement(EnlistedConnection handle, PreparedStatement prepared) {
        super(handle, prepared);
        this.prepared = prepared;
    }

    @Override
    public String toString() {
        return "HandlePreparedStatement[" + prepared + "]";
    }

    /** The driver's prepared statement, which the generated forwarders call. */
    @Override
    PreparedStatement delegate() {
        return prepared;
    }

    /** Its result set leads back here, as {@link HandleStatement#executeQuery(String)}'s does. */
    @Override
    public ResultSet executeQuery() throws SQLException {
        return results(prepared.executeQuery());
    }
}
