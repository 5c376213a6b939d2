/**
 * Wrapped DataSources: how an application's JDBC connections join QuorumTX transactions.
 *
 * <p>{@link io.quorumtx.jdbc.TransactionalDataSource} is the one class users build. It wraps
 * either a driver's {@code XADataSource} (pooled with HikariCP, an optional dependency this style
 * needs) or an existing DataSource plus an
 * {@link io.quorumtx.jdbc.dialect.Dialect} that runs two-phase commit through the database's own
 * SQL. The machinery lives in {@code io.quorumtx.jdbc.dialect} (SQL dialects and the
 * dialect-driven XAResource) and {@code io.quorumtx.jdbc.internal} (pool bridge, enlistment,
 * connection handles, database checks), which are not for users.
 */
package io.quorumtx.jdbc;
