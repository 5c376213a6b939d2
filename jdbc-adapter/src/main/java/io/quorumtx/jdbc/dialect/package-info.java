/**
 * Two-phase commit through a database's own SQL, for connections that are not XA connections.
 *
 * <p>{@link io.quorumtx.jdbc.dialect.Dialect#h2()}, {@link io.quorumtx.jdbc.dialect.Dialect#postgresql()}
 * and {@link io.quorumtx.jdbc.dialect.Dialect#mysql()} (MySQL and MariaDB) name the statements;
 * {@link io.quorumtx.jdbc.dialect.DialectXAResource} turns them into an XAResource. Every Xid is
 * written into SQL only in a form checked character by character (base64 or hex), and names in a
 * database's list of prepared transactions that QuorumTX cannot decode are skipped.
 */
package io.quorumtx.jdbc.dialect;
