/**
 * The public face of QuorumTX's transaction manager: {@link io.quorumtx.tm.QuorumTransactionManager}
 * (JTA {@code TransactionManager}, {@code UserTransaction} and a
 * {@code TransactionSynchronizationRegistry}), its builder, and the values an application sees
 * ({@link io.quorumtx.tm.CommitProtocolType}, {@link io.quorumtx.tm.QuorumTransactional}; the
 * heuristic outcomes the manager reports are {@link io.quorumtx.tm.protocol.HeuristicOutcome}s, kept
 * where the protocols classify them). What resources implement lives in {@code spi}.
 *
 * <p>Where things live: {@code xid} (the Xid format), {@code protocol} (how branches reach one
 * outcome: presumed-abort 2PC, phase-2 retries, heuristics), {@code log} (the commit log SPI and
 * the local log), {@code recovery} (the recovery engine shared by the manager and the tool),
 * {@code internal} (transactions, thread-free state machine, reaper, recovery manager; not for
 * users), {@code spi} (what resources and participants implement), {@code testing} (the crash
 * hooks, for crash tests only).
 */
package io.quorumtx.tm;
