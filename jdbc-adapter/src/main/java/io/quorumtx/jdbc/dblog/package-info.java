/**
 * The database commit log ({@link io.quorumtx.jdbc.dblog.DatabaseCommitLog}): COMMIT decisions in
 * a table of a database the application already has, carried in that database's own one-phase
 * commit when it takes part in the transaction. Stateless nodes; any node finishes any gone node's
 * transactions.
 */
package io.quorumtx.jdbc.dblog;
