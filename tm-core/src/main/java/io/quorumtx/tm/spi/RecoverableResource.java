package io.quorumtx.tm.spi;

import io.quorumtx.tm.CommitProtocolType;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;

/**
 * A resource manager that QuorumTX can reach again on its own, without the application's
 * connection: to retry a failed phase-2 commit, and (with the recovery manager) to find and
 * finish in-doubt branches after a crash.
 *
 * <p>Registered with {@code QuorumTransactionManager.registerResource} under its stable
 * {@link #resourceName()}; the wrapped DataSources of the JDBC adapter register themselves.
 * The name must match the {@link NamedResource#resourceName()} of the XAResources it enlists,
 * because COMMIT records name branches by it.
 */
public interface RecoverableResource {

    /** Stable name, 1 to 48 characters of {@code [A-Za-z0-9_.-]}. */
    String resourceName();

    /**
     * Opens a fresh connection to the resource manager for commit, rollback, forget and recover
     * of prepared branches. The caller closes it. Fails with an {@link XAException} (usually
     * {@code XAER_RMFAIL}) when the database cannot be reached, so the caller retries later.
     */
    RecoveryConnection openRecoveryConnection() throws XAException;

    /**
     * The pre-commit markers this resource keeps for three-phase commit, or null if it keeps none
     * (then it cannot take part in a {@link CommitProtocolType#THREE_PHASE} transaction).
     */
    default PreCommitMarkers preCommitMarkers() {
        return null;
    }

    /** An XAResource on its own physical connection; closing it releases that connection. */
    interface RecoveryConnection extends AutoCloseable {
        XAResource xaResource();

        @Override
        void close();
    }
}
