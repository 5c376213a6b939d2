package io.quorumtx.jdbc.jdbi;

import io.quorumtx.tm.QuorumTransactionManager;
import jakarta.transaction.Status;
import jakarta.transaction.SystemException;
import java.util.Objects;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.transaction.TransactionException;
import org.jdbi.v3.core.transaction.TransactionHandler;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * Jdbi's transactions as QuorumTX transactions. A handle's {@code begin} (and
 * {@code inTransaction}, and SqlObject {@code @Transaction}) joins the thread's JTA transaction
 * if there is one, and begins one otherwise; {@code commit} and {@code rollback} end only a
 * transaction this handle began; for a joined one, {@code rollback} marks it rollback-only and
 * {@code commit} leaves it to whoever began it. The connection is never committed or rolled back
 * by Jdbi: the transaction manager does that for every database of the transaction at once.
 * One instance per handle ({@link #specialize}), confined to the handle's thread.
 */
public final class JtaTransactionHandler implements TransactionHandler {
    private final QuorumTransactionManager tm;
    /** This handle began the current transaction (and so ends it). */
    private boolean began;

    public JtaTransactionHandler(QuorumTransactionManager tm) {
        this.tm = Objects.requireNonNull(tm, "tm");
    }

    @Override
    public TransactionHandler specialize(Handle handle) {
        return new JtaTransactionHandler(tm);
    }

    @Override
    public void begin(Handle handle) {
        if (active()) {
            return; // joins the caller's transaction
        }
        try {
            tm.begin();
            began = true;
        } catch (jakarta.transaction.NotSupportedException | RuntimeException e) {
            throw new TransactionException("Could not begin a QuorumTX transaction: " + e.getMessage(), e);
        }
    }

    @Override
    public void commit(Handle handle) {
        if (!began) {
            return; // joined: whoever began the transaction commits it
        }
        began = false;
        try {
            tm.commit();
        } catch (Exception e) {
            throw new TransactionException("The QuorumTX transaction could not be committed: " + e.getMessage(), e);
        }
    }

    @Override
    public void rollback(Handle handle) {
        try {
            if (began) {
                began = false;
                tm.rollback();
            } else if (active()) {
                tm.setRollbackOnly(); // joined: the transaction's owner rolls it back
            }
        } catch (SystemException | RuntimeException e) {
            throw new TransactionException("The QuorumTX transaction could not be rolled back: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean isInTransaction(Handle handle) {
        return active();
    }

    @Override
    public void savepoint(Handle handle, String name) {
        throw savepoints();
    }

    @Override
    public void rollbackToSavepoint(Handle handle, String name) {
        throw savepoints();
    }

    @Override
    public void releaseSavepoint(Handle handle, String name) {
        throw savepoints();
    }

    @Override
    public <R, X extends Exception> R inTransaction(Handle handle, HandleCallback<R, X> callback) throws X {
        if (active()) {
            try {
                return callback.withHandle(handle);
            } catch (Exception | Error e) {
                markRollbackOnly(e);
                throw e;
            }
        }
        begin(handle);
        R result;
        try {
            result = callback.withHandle(handle);
        } catch (Exception | Error e) {
            try {
                rollback(handle);
            } catch (RuntimeException rollbackFailed) {
                e.addSuppressed(rollbackFailed);
            }
            throw e;
        }
        commit(handle);
        return result;
    }

    /**
     * As {@link #inTransaction(Handle, HandleCallback)}; an isolation level other than UNKNOWN is
     * refused: every database of a distributed transaction keeps the isolation its connections
     * were configured with.
     */
    @Override
    public <R, X extends Exception> R inTransaction(Handle handle, TransactionIsolationLevel level,
            HandleCallback<R, X> callback) throws X {
        if (level != null && level != TransactionIsolationLevel.UNKNOWN) {
            throw new TransactionException("A QuorumTX transaction cannot change the isolation level to " + level
                    + ": configure it on the wrapped DataSource's connections instead");
        }
        return inTransaction(handle, callback);
    }

    private void markRollbackOnly(Throwable cause) {
        try {
            tm.setRollbackOnly();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private boolean active() {
        int status = tm.getStatus();
        return status == Status.STATUS_ACTIVE || status == Status.STATUS_MARKED_ROLLBACK;
    }

    private static UnsupportedOperationException savepoints() {
        return new UnsupportedOperationException("Savepoints are not available in a QuorumTX (XA) transaction");
    }
}
