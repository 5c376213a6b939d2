package io.quorumtx.tm.spi;

import io.quorumtx.tm.CommitProtocolType;
import io.quorumtx.tm.QuorumTransactionManager;
import java.util.Collection;
import java.util.List;

/**
 * A participant in three-phase commit that is not a JDBC database: a message queue, a file store,
 * a remote service. Implement this, wrap it in a {@link ThreePhaseResource}, register that with
 * the manager ({@link QuorumTransactionManager#registerResource}) and enlist it in each
 * {@link CommitProtocolType#THREE_PHASE} transaction that uses it.
 *
 * <p>Each method must be durable when it returns and idempotent (recovery may repeat it after a
 * crash): {@link #prepare} keeps the work so that it survives a restart and can still be committed
 * or aborted; {@link #preCommit} keeps a marker that outlives the transaction until recovery or
 * the coordinator deletes it; {@link #commit} and {@link #abort} of a transaction the participant
 * no longer knows succeed. Implementations must be thread-safe.
 */
public interface ThreePhaseParticipant {

    /** Stable name, 1 to 48 characters of {@code [A-Za-z0-9_.-]}, the same across restarts. */
    String name();

    /** A transaction starts using this participant (XA start). */
    void begin(String gtrid) throws Exception;

    /** Phase 1: keep the work durably, ready to commit. Returns false if it did no work (read-only vote); throws to vote no. */
    boolean prepare(String gtrid) throws Exception;

    /** Phase 2: keep a durable pre-commit marker for {@code gtrid} naming every participant. */
    void preCommit(String gtrid, List<String> participants) throws Exception;

    /** Phase 3: make the prepared work visible and forget it. */
    void commit(String gtrid) throws Exception;

    /** Throws away the work of {@code gtrid}, prepared or not. */
    void abort(String gtrid) throws Exception;

    /** Transactions prepared here and not yet committed or aborted (for recovery). */
    Collection<String> prepared() throws Exception;

    /** Every pre-commit marker kept here. */
    List<PreCommitMarker> markers() throws Exception;

    /** Deletes the markers of finished transactions. */
    void deleteMarkers(Collection<String> gtrids) throws Exception;
}
