package io.quorumtx.jdbc.internal;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.Date;
import java.sql.NClob;
import java.sql.Ref;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.SQLXML;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Calendar;
import java.util.Map;

/**
 * A callable statement created through an {@link EnlistedConnection}; see {@link HandleStatement}
 * for why it exists. The forwarders were generated once from {@code java.sql.CallableStatement}.
 * An OUT parameter that is itself a result set (a PostgreSQL {@code refcursor} read with
 * {@code getObject}) comes back as the driver's; it is not wrapped.
 */
final class HandleCallableStatement extends HandlePreparedStatement implements CallableStatement {

    private final CallableStatement callable;

    HandleCallableStatement(EnlistedConnection handle, CallableStatement callable) {
        super(handle, callable);
        this.callable = callable;
    }

    @Override
    public String toString() {
        return "HandleCallableStatement[" + callable + "]";
    }

    @Override public Array getArray(String parameterName) throws SQLException { return callable.getArray(parameterName); }
    @Override public Array getArray(int parameterIndex) throws SQLException { return callable.getArray(parameterIndex); }
    @Override public BigDecimal getBigDecimal(String parameterName) throws SQLException { return callable.getBigDecimal(parameterName); }
    @Override public BigDecimal getBigDecimal(int parameterIndex) throws SQLException { return callable.getBigDecimal(parameterIndex); }
    @Override @Deprecated
    public BigDecimal getBigDecimal(int parameterIndex, int scale) throws SQLException {
        return callable.getBigDecimal(parameterIndex, scale);
    }
    @Override public Blob getBlob(String parameterName) throws SQLException { return callable.getBlob(parameterName); }
    @Override public Blob getBlob(int parameterIndex) throws SQLException { return callable.getBlob(parameterIndex); }
    @Override public boolean getBoolean(String parameterName) throws SQLException { return callable.getBoolean(parameterName); }
    @Override public boolean getBoolean(int parameterIndex) throws SQLException { return callable.getBoolean(parameterIndex); }
    @Override public byte getByte(String parameterName) throws SQLException { return callable.getByte(parameterName); }
    @Override public byte getByte(int parameterIndex) throws SQLException { return callable.getByte(parameterIndex); }
    @Override public byte[] getBytes(String parameterName) throws SQLException { return callable.getBytes(parameterName); }
    @Override public byte[] getBytes(int parameterIndex) throws SQLException { return callable.getBytes(parameterIndex); }
    @Override public Reader getCharacterStream(String parameterName) throws SQLException { return callable.getCharacterStream(parameterName); }
    @Override public Reader getCharacterStream(int parameterIndex) throws SQLException { return callable.getCharacterStream(parameterIndex); }
    @Override public Clob getClob(String parameterName) throws SQLException { return callable.getClob(parameterName); }
    @Override public Clob getClob(int parameterIndex) throws SQLException { return callable.getClob(parameterIndex); }
    @Override public Date getDate(String parameterName) throws SQLException { return callable.getDate(parameterName); }
    @Override public Date getDate(int parameterIndex) throws SQLException { return callable.getDate(parameterIndex); }
    @Override public Date getDate(String parameterName, Calendar calendar) throws SQLException { return callable.getDate(parameterName, calendar); }
    @Override public Date getDate(int parameterIndex, Calendar calendar) throws SQLException { return callable.getDate(parameterIndex, calendar); }
    @Override public double getDouble(String parameterName) throws SQLException { return callable.getDouble(parameterName); }
    @Override public double getDouble(int parameterIndex) throws SQLException { return callable.getDouble(parameterIndex); }
    @Override public float getFloat(String parameterName) throws SQLException { return callable.getFloat(parameterName); }
    @Override public float getFloat(int parameterIndex) throws SQLException { return callable.getFloat(parameterIndex); }
    @Override public int getInt(String parameterName) throws SQLException { return callable.getInt(parameterName); }
    @Override public int getInt(int parameterIndex) throws SQLException { return callable.getInt(parameterIndex); }
    @Override public long getLong(String parameterName) throws SQLException { return callable.getLong(parameterName); }
    @Override public long getLong(int parameterIndex) throws SQLException { return callable.getLong(parameterIndex); }
    @Override public Reader getNCharacterStream(String parameterName) throws SQLException { return callable.getNCharacterStream(parameterName); }
    @Override public Reader getNCharacterStream(int parameterIndex) throws SQLException { return callable.getNCharacterStream(parameterIndex); }
    @Override public NClob getNClob(String parameterName) throws SQLException { return callable.getNClob(parameterName); }
    @Override public NClob getNClob(int parameterIndex) throws SQLException { return callable.getNClob(parameterIndex); }
    @Override public String getNString(String parameterName) throws SQLException { return callable.getNString(parameterName); }
    @Override public String getNString(int parameterIndex) throws SQLException { return callable.getNString(parameterIndex); }
    @Override public Object getObject(String parameterName) throws SQLException { return callable.getObject(parameterName); }
    @Override public Object getObject(int parameterIndex) throws SQLException { return callable.getObject(parameterIndex); }
    @Override public <T> T getObject(String parameterName, Class<T> type) throws SQLException { return callable.getObject(parameterName, type); }
    @Override
    public Object getObject(String parameterName, Map<String, Class<?>> map) throws SQLException {
        return callable.getObject(parameterName, map);
    }
    @Override public <T> T getObject(int parameterIndex, Class<T> type) throws SQLException { return callable.getObject(parameterIndex, type); }
    @Override
    public Object getObject(int parameterIndex, Map<String, Class<?>> map) throws SQLException {
        return callable.getObject(parameterIndex, map);
    }
    @Override public Ref getRef(String parameterName) throws SQLException { return callable.getRef(parameterName); }
    @Override public Ref getRef(int parameterIndex) throws SQLException { return callable.getRef(parameterIndex); }
    @Override public RowId getRowId(String parameterName) throws SQLException { return callable.getRowId(parameterName); }
    @Override public RowId getRowId(int parameterIndex) throws SQLException { return callable.getRowId(parameterIndex); }
    @Override public SQLXML getSQLXML(String parameterName) throws SQLException { return callable.getSQLXML(parameterName); }
    @Override public SQLXML getSQLXML(int parameterIndex) throws SQLException { return callable.getSQLXML(parameterIndex); }
    @Override public short getShort(String parameterName) throws SQLException { return callable.getShort(parameterName); }
    @Override public short getShort(int parameterIndex) throws SQLException { return callable.getShort(parameterIndex); }
    @Override public String getString(String parameterName) throws SQLException { return callable.getString(parameterName); }
    @Override public String getString(int parameterIndex) throws SQLException { return callable.getString(parameterIndex); }
    @Override public Time getTime(String parameterName) throws SQLException { return callable.getTime(parameterName); }
    @Override public Time getTime(int parameterIndex) throws SQLException { return callable.getTime(parameterIndex); }
    @Override public Time getTime(String parameterName, Calendar calendar) throws SQLException { return callable.getTime(parameterName, calendar); }
    @Override public Time getTime(int parameterIndex, Calendar calendar) throws SQLException { return callable.getTime(parameterIndex, calendar); }
    @Override public Timestamp getTimestamp(String parameterName) throws SQLException { return callable.getTimestamp(parameterName); }
    @Override public Timestamp getTimestamp(int parameterIndex) throws SQLException { return callable.getTimestamp(parameterIndex); }
    @Override
    public Timestamp getTimestamp(String parameterName, Calendar calendar) throws SQLException {
        return callable.getTimestamp(parameterName, calendar);
    }
    @Override
    public Timestamp getTimestamp(int parameterIndex, Calendar calendar) throws SQLException {
        return callable.getTimestamp(parameterIndex, calendar);
    }
    @Override public URL getURL(String parameterName) throws SQLException { return callable.getURL(parameterName); }
    @Override public URL getURL(int parameterIndex) throws SQLException { return callable.getURL(parameterIndex); }
    @Override
    public void registerOutParameter(String parameterName, int sqlType) throws SQLException {
        callable.registerOutParameter(parameterName, sqlType);
    }
    @Override
    public void registerOutParameter(String parameterName, SQLType sqlType) throws SQLException {
        callable.registerOutParameter(parameterName, sqlType);
    }
    @Override
    public void registerOutParameter(int parameterIndex, int sqlType) throws SQLException {
        callable.registerOutParameter(parameterIndex, sqlType);
    }
    @Override
    public void registerOutParameter(int parameterIndex, SQLType sqlType) throws SQLException {
        callable.registerOutParameter(parameterIndex, sqlType);
    }
    @Override
    public void registerOutParameter(String parameterName, int sqlType, String typeName) throws SQLException {
        callable.registerOutParameter(parameterName, sqlType, typeName);
    }
    @Override
    public void registerOutParameter(String parameterName, int sqlType, int scale) throws SQLException {
        callable.registerOutParameter(parameterName, sqlType, scale);
    }
    @Override
    public void registerOutParameter(String parameterName, SQLType sqlType, String typeName) throws SQLException {
        callable.registerOutParameter(parameterName, sqlType, typeName);
    }
    @Override
    public void registerOutParameter(String parameterName, SQLType sqlType, int scale) throws SQLException {
        callable.registerOutParameter(parameterName, sqlType, scale);
    }
    @Override
    public void registerOutParameter(int parameterIndex, int sqlType, String typeName) throws SQLException {
        callable.registerOutParameter(parameterIndex, sqlType, typeName);
    }
    @Override
    public void registerOutParameter(int parameterIndex, int sqlType, int scale) throws SQLException {
        callable.registerOutParameter(parameterIndex, sqlType, scale);
    }
    @Override
    public void registerOutParameter(int parameterIndex, SQLType sqlType, String typeName) throws SQLException {
        callable.registerOutParameter(parameterIndex, sqlType, typeName);
    }
    @Override
    public void registerOutParameter(int parameterIndex, SQLType sqlType, int scale) throws SQLException {
        callable.registerOutParameter(parameterIndex, sqlType, scale);
    }
    @Override
    public void setAsciiStream(String parameterName, InputStream stream) throws SQLException {
        callable.setAsciiStream(parameterName, stream);
    }
    @Override
    public void setAsciiStream(String parameterName, InputStream stream, int length) throws SQLException {
        callable.setAsciiStream(parameterName, stream, length);
    }
    @Override
    public void setAsciiStream(String parameterName, InputStream stream, long length) throws SQLException {
        callable.setAsciiStream(parameterName, stream, length);
    }
    @Override public void setBigDecimal(String parameterName, BigDecimal value) throws SQLException { callable.setBigDecimal(parameterName, value); }
    @Override
    public void setBinaryStream(String parameterName, InputStream stream) throws SQLException {
        callable.setBinaryStream(parameterName, stream);
    }
    @Override
    public void setBinaryStream(String parameterName, InputStream stream, int length) throws SQLException {
        callable.setBinaryStream(parameterName, stream, length);
    }
    @Override
    public void setBinaryStream(String parameterName, InputStream stream, long length) throws SQLException {
        callable.setBinaryStream(parameterName, stream, length);
    }
    @Override public void setBlob(String parameterName, InputStream stream) throws SQLException { callable.setBlob(parameterName, stream); }
    @Override public void setBlob(String parameterName, Blob value) throws SQLException { callable.setBlob(parameterName, value); }
    @Override
    public void setBlob(String parameterName, InputStream stream, long length) throws SQLException {
        callable.setBlob(parameterName, stream, length);
    }
    @Override public void setBoolean(String parameterName, boolean value) throws SQLException { callable.setBoolean(parameterName, value); }
    @Override public void setByte(String parameterName, byte value) throws SQLException { callable.setByte(parameterName, value); }
    @Override public void setBytes(String parameterName, byte[] value) throws SQLException { callable.setBytes(parameterName, value); }
    @Override
    public void setCharacterStream(String parameterName, Reader reader) throws SQLException {
        callable.setCharacterStream(parameterName, reader);
    }
    @Override
    public void setCharacterStream(String parameterName, Reader reader, int length) throws SQLException {
        callable.setCharacterStream(parameterName, reader, length);
    }
    @Override
    public void setCharacterStream(String parameterName, Reader reader, long length) throws SQLException {
        callable.setCharacterStream(parameterName, reader, length);
    }
    @Override public void setClob(String parameterName, Reader reader) throws SQLException { callable.setClob(parameterName, reader); }
    @Override public void setClob(String parameterName, Clob value) throws SQLException { callable.setClob(parameterName, value); }
    @Override
    public void setClob(String parameterName, Reader reader, long length) throws SQLException {
        callable.setClob(parameterName, reader, length);
    }
    @Override public void setDate(String parameterName, Date value) throws SQLException { callable.setDate(parameterName, value); }
    @Override
    public void setDate(String parameterName, Date value, Calendar calendar) throws SQLException {
        callable.setDate(parameterName, value, calendar);
    }
    @Override public void setDouble(String parameterName, double value) throws SQLException { callable.setDouble(parameterName, value); }
    @Override public void setFloat(String parameterName, float value) throws SQLException { callable.setFloat(parameterName, value); }
    @Override public void setInt(String parameterName, int value) throws SQLException { callable.setInt(parameterName, value); }
    @Override public void setLong(String parameterName, long value) throws SQLException { callable.setLong(parameterName, value); }
    @Override
    public void setNCharacterStream(String parameterName, Reader reader) throws SQLException {
        callable.setNCharacterStream(parameterName, reader);
    }
    @Override
    public void setNCharacterStream(String parameterName, Reader reader, long length) throws SQLException {
        callable.setNCharacterStream(parameterName, reader, length);
    }
    @Override public void setNClob(String parameterName, Reader reader) throws SQLException { callable.setNClob(parameterName, reader); }
    @Override public void setNClob(String parameterName, NClob value) throws SQLException { callable.setNClob(parameterName, value); }
    @Override
    public void setNClob(String parameterName, Reader reader, long length) throws SQLException {
        callable.setNClob(parameterName, reader, length);
    }
    @Override public void setNString(String parameterName, String value) throws SQLException { callable.setNString(parameterName, value); }
    @Override public void setNull(String parameterName, int sqlType) throws SQLException { callable.setNull(parameterName, sqlType); }
    @Override
    public void setNull(String parameterName, int sqlType, String typeName) throws SQLException {
        callable.setNull(parameterName, sqlType, typeName);
    }
    @Override public void setObject(String parameterName, Object value) throws SQLException { callable.setObject(parameterName, value); }
    @Override
    public void setObject(String parameterName, Object value, int scaleOrLength) throws SQLException {
        callable.setObject(parameterName, value, scaleOrLength);
    }
    @Override
    public void setObject(String parameterName, Object value, SQLType sqlType) throws SQLException {
        callable.setObject(parameterName, value, sqlType);
    }
    @Override
    public void setObject(String parameterName, Object value, int targetSqlType, int scaleOrLength) throws SQLException {
        callable.setObject(parameterName, value, targetSqlType, scaleOrLength);
    }
    @Override
    public void setObject(String parameterName, Object value, SQLType sqlType, int scaleOrLength) throws SQLException {
        callable.setObject(parameterName, value, sqlType, scaleOrLength);
    }
    @Override public void setRowId(String parameterName, RowId value) throws SQLException { callable.setRowId(parameterName, value); }
    @Override public void setSQLXML(String parameterName, SQLXML value) throws SQLException { callable.setSQLXML(parameterName, value); }
    @Override public void setShort(String parameterName, short value) throws SQLException { callable.setShort(parameterName, value); }
    @Override public void setString(String parameterName, String value) throws SQLException { callable.setString(parameterName, value); }
    @Override public void setTime(String parameterName, Time value) throws SQLException { callable.setTime(parameterName, value); }
    @Override
    public void setTime(String parameterName, Time value, Calendar calendar) throws SQLException {
        callable.setTime(parameterName, value, calendar);
    }
    @Override public void setTimestamp(String parameterName, Timestamp value) throws SQLException { callable.setTimestamp(parameterName, value); }
    @Override
    public void setTimestamp(String parameterName, Timestamp value, Calendar calendar) throws SQLException {
        callable.setTimestamp(parameterName, value, calendar);
    }
    @Override public void setURL(String parameterName, URL value) throws SQLException { callable.setURL(parameterName, value); }
    @Override public boolean wasNull() throws SQLException { return callable.wasNull(); }
}
