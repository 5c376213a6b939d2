package io.quorumtx.tm;

import io.quorumtx.tm.spi.RecoverableResource;

/**
 * Which protocol commits a transaction: chosen for every transaction of a manager with
 * {@link QuorumTransactionManagerBuilder#defaultProtocol}, and for one transaction with
 * {@link QuorumTransactionManager#begin(CommitProtocolType)} or
 * {@link QuorumTransactionManager#setCommitProtocol} before its first resource is enlisted (the
 * protocol is written into every branch's Xid, so recovery can tell it from the database alone).
 */
public enum CommitProtocolType {
    /**
     * Two-phase commit with presumed abort: prepare, force the COMMIT record, commit. The commit
     * log alone decides in-doubt branches; losing every copy of it leaves them to an operator.
     */
    TWO_PHASE,
    /**
     * Three-phase commit: prepare, force the COMMIT record and write a pre-commit marker into every
     * participant, then commit. Recovery can finish the transaction from the participants alone
     * when the commit log is lost; it costs one marker write per participant. Every participant
     * must keep markers ({@link RecoverableResource#preCommitMarkers()}).
     */
    THREE_PHASE
}
