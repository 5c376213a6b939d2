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
 * for why it exists. The forwarders were generated once from {@code java.sql.PreparedStatement}.
 */
class HandlePreparedStatement extends HandleStatement implements PreparedStatement {

    private final PreparedStatement prepared;

    HandlePreparedStatement(EnlistedConnection handle, PreparedStatement prepared) {
        super(handle, prepared);
        this.prepared = prepared;
    }

    @Override
    public String toString() {
        return "HandlePreparedStatement[" + prepared + "]";
    }

    @Override public void addBatch() throws SQLException { prepared.addBatch(); }
    @Override public void clearParameters() throws SQLException { prepared.clearParameters(); }
    @Override public boolean execute() throws SQLException { return prepared.execute(); }
    @Override public long executeLargeUpdate() throws SQLException { return prepared.executeLargeUpdate(); }
    @Override public ResultSet executeQuery() throws SQLException { return results(prepared.executeQuery()); }
    @Override public int executeUpdate() throws SQLException { return prepared.executeUpdate(); }
    @Override public ResultSetMetaData getMetaData() throws SQLException { return prepared.getMetaData(); }
    @Override public ParameterMetaData getParameterMetaData() throws SQLException { return prepared.getParameterMetaData(); }
    @Override public void setArray(int parameterIndex, Array value) throws SQLException { prepared.setArray(parameterIndex, value); }
    @Override
    public void setAsciiStream(int parameterIndex, InputStream stream) throws SQLException {
        prepared.setAsciiStream(parameterIndex, stream);
    }
    @Override
    public void setAsciiStream(int parameterIndex, InputStream stream, int length) throws SQLException {
        prepared.setAsciiStream(parameterIndex, stream, length);
    }
    @Override
    public void setAsciiStream(int parameterIndex, InputStream stream, long length) throws SQLException {
        prepared.setAsciiStream(parameterIndex, stream, length);
    }
    @Override public void setBigDecimal(int parameterIndex, BigDecimal value) throws SQLException { prepared.setBigDecimal(parameterIndex, value); }
    @Override
    public void setBinaryStream(int parameterIndex, InputStream stream) throws SQLException {
        prepared.setBinaryStream(parameterIndex, stream);
    }
    @Override
    public void setBinaryStream(int parameterIndex, InputStream stream, int length) throws SQLException {
        prepared.setBinaryStream(parameterIndex, stream, length);
    }
    @Override
    public void setBinaryStream(int parameterIndex, InputStream stream, long length) throws SQLException {
        prepared.setBinaryStream(parameterIndex, stream, length);
    }
    @Override public void setBlob(int parameterIndex, InputStream stream) throws SQLException { prepared.setBlob(parameterIndex, stream); }
    @Override public void setBlob(int parameterIndex, Blob value) throws SQLException { prepared.setBlob(parameterIndex, value); }
    @Override
    public void setBlob(int parameterIndex, InputStream stream, long length) throws SQLException {
        prepared.setBlob(parameterIndex, stream, length);
    }
    @Override public void setBoolean(int parameterIndex, boolean value) throws SQLException { prepared.setBoolean(parameterIndex, value); }
    @Override public void setByte(int parameterIndex, byte value) throws SQLException { prepared.setByte(parameterIndex, value); }
    @Override public void setBytes(int parameterIndex, byte[] value) throws SQLException { prepared.setBytes(parameterIndex, value); }
    @Override
    public void setCharacterStream(int parameterIndex, Reader reader) throws SQLException {
        prepared.setCharacterStream(parameterIndex, reader);
    }
    @Override
    public void setCharacterStream(int parameterIndex, Reader reader, int length) throws SQLException {
        prepared.setCharacterStream(parameterIndex, reader, length);
    }
    @Override
    public void setCharacterStream(int parameterIndex, Reader reader, long length) throws SQLException {
        prepared.setCharacterStream(parameterIndex, reader, length);
    }
    @Override public void setClob(int parameterIndex, Reader reader) throws SQLException { prepared.setClob(parameterIndex, reader); }
    @Override public void setClob(int parameterIndex, Clob value) throws SQLException { prepared.setClob(parameterIndex, value); }
    @Override
    public void setClob(int parameterIndex, Reader reader, long length) throws SQLException {
        prepared.setClob(parameterIndex, reader, length);
    }
    @Override public void setDate(int parameterIndex, Date value) throws SQLException { prepared.setDate(parameterIndex, value); }
    @Override
    public void setDate(int parameterIndex, Date value, Calendar calendar) throws SQLException {
        prepared.setDate(parameterIndex, value, calendar);
    }
    @Override public void setDouble(int parameterIndex, double value) throws SQLException { prepared.setDouble(parameterIndex, value); }
    @Override public void setFloat(int parameterIndex, float value) throws SQLException { prepared.setFloat(parameterIndex, value); }
    @Override public void setInt(int parameterIndex, int value) throws SQLException { prepared.setInt(parameterIndex, value); }
    @Override public void setLong(int parameterIndex, long value) throws SQLException { prepared.setLong(parameterIndex, value); }
    @Override
    public void setNCharacterStream(int parameterIndex, Reader reader) throws SQLException {
        prepared.setNCharacterStream(parameterIndex, reader);
    }
    @Override
    public void setNCharacterStream(int parameterIndex, Reader reader, long length) throws SQLException {
        prepared.setNCharacterStream(parameterIndex, reader, length);
    }
    @Override public void setNClob(int parameterIndex, Reader reader) throws SQLException { prepared.setNClob(parameterIndex, reader); }
    @Override public void setNClob(int parameterIndex, NClob value) throws SQLException { prepared.setNClob(parameterIndex, value); }
    @Override
    public void setNClob(int parameterIndex, Reader reader, long length) throws SQLException {
        prepared.setNClob(parameterIndex, reader, length);
    }
    @Override public void setNString(int parameterIndex, String value) throws SQLException { prepared.setNString(parameterIndex, value); }
    @Override public void setNull(int parameterIndex, int sqlType) throws SQLException { prepared.setNull(parameterIndex, sqlType); }
    @Override
    public void setNull(int parameterIndex, int sqlType, String typeName) throws SQLException {
        prepared.setNull(parameterIndex, sqlType, typeName);
    }
    @Override public void setObject(int parameterIndex, Object value) throws SQLException { prepared.setObject(parameterIndex, value); }
    @Override
    public void setObject(int parameterIndex, Object value, int scaleOrLength) throws SQLException {
        prepared.setObject(parameterIndex, value, scaleOrLength);
    }
    @Override
    public void setObject(int parameterIndex, Object value, SQLType sqlType) throws SQLException {
        prepared.setObject(parameterIndex, value, sqlType);
    }
    @Override
    public void setObject(int parameterIndex, Object value, int targetSqlType, int scaleOrLength) throws SQLException {
        prepared.setObject(parameterIndex, value, targetSqlType, scaleOrLength);
    }
    @Override
    public void setObject(int parameterIndex, Object value, SQLType sqlType, int scaleOrLength) throws SQLException {
        prepared.setObject(parameterIndex, value, sqlType, scaleOrLength);
    }
    @Override public void setRef(int parameterIndex, Ref value) throws SQLException { prepared.setRef(parameterIndex, value); }
    @Override public void setRowId(int parameterIndex, RowId value) throws SQLException { prepared.setRowId(parameterIndex, value); }
    @Override public void setSQLXML(int parameterIndex, SQLXML value) throws SQLException { prepared.setSQLXML(parameterIndex, value); }
    @Override public void setShort(int parameterIndex, short value) throws SQLException { prepared.setShort(parameterIndex, value); }
    @Override public void setString(int parameterIndex, String value) throws SQLException { prepared.setString(parameterIndex, value); }
    @Override public void setTime(int parameterIndex, Time value) throws SQLException { prepared.setTime(parameterIndex, value); }
    @Override
    public void setTime(int parameterIndex, Time value, Calendar calendar) throws SQLException {
        prepared.setTime(parameterIndex, value, calendar);
    }
    @Override public void setTimestamp(int parameterIndex, Timestamp value) throws SQLException { prepared.setTimestamp(parameterIndex, value); }
    @Override
    public void setTimestamp(int parameterIndex, Timestamp value, Calendar calendar) throws SQLException {
        prepared.setTimestamp(parameterIndex, value, calendar);
    }
    @Override public void setURL(int parameterIndex, URL value) throws SQLException { prepared.setURL(parameterIndex, value); }
    @Override @Deprecated
    public void setUnicodeStream(int parameterIndex, InputStream stream, int length) throws SQLException {
        prepared.setUnicodeStream(parameterIndex, stream, length);
    }
}
