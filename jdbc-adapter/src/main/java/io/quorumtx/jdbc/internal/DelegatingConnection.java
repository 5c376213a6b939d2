package io.quorumtx.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.ShardingKey;

/**
 * What both of the adapter's connections ({@link EnlistedConnection}, the application's handle,
 * and {@link XaPhysicalConnection}, what the pool holds) share: a {@link #delegate()} that every
 * call the subclass does not handle itself is forwarded to, by the {@code Forwarding*} class
 * generated for it at build time ({@link GenerateForwarders}). Forwarding is a plain virtual call
 * per method rather than a {@link java.lang.reflect.Proxy}: connection handles sit on the hot path
 * of every transaction, and a proxy costs a reflective dispatch and an argument array per call.
 *
 * <p>The JDBC 4.3 request and sharding calls keep {@link Connection}'s default behaviour and are
 * deliberately not forwarded, as before the forwarders were generated: request boundaries are the
 * pool's to mark on the physical connection, and a sharding key is chosen when a connection is
 * obtained, not on a connection already carrying a transaction's branch.
 */
abstract class DelegatingConnection implements Connection {

    /** The connection to forward to; may throw when the caller may no longer use this one. */
    abstract Connection delegate() throws SQLException;

    @Override
    public final void beginRequest() throws SQLException {
        Connection.super.beginRequest();
    }

    @Override
    public final void endRequest() throws SQLException {
        Connection.super.endRequest();
    }

    @Override
    public final boolean setShardingKeyIfValid(ShardingKey shardingKey, ShardingKey superShardingKey, int timeout)
            throws SQLException {
        return Connection.super.setShardingKeyIfValid(shardingKey, superShardingKey, timeout);
    }

    @Override
    public final boolean setShardingKeyIfValid(ShardingKey shardingKey, int timeout) throws SQLException {
        return Connection.super.setShardingKeyIfValid(shardingKey, timeout);
    }

    @Override
    public final void setShardingKey(ShardingKey shardingKey, ShardingKey superShardingKey) throws SQLException {
        Connection.super.setShardingKey(shardingKey, superShardingKey);
    }

    @Override
    public final void setShardingKey(ShardingKey shardingKey) throws SQLException {
        Connection.super.setShardingKey(shardingKey);
    }
}
