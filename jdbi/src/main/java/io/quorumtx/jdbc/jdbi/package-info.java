/**
 * Jdbi 3 on QuorumTX: handles on wrapped DataSources that join the current JTA transaction, and a
 * transaction handler through which {@code jdbi.inTransaction} and SqlObject {@code @Transaction}
 * begin or join a QuorumTX transaction. Jdbi is an optional dependency of the adapter.
 */
package io.quorumtx.jdbc.jdbi;
