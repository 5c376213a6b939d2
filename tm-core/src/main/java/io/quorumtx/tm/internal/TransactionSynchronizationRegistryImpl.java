package io.quorumtx.tm.internal;

import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.util.function.Supplier;

/**
 * The {@link TransactionSynchronizationRegistry} of one transaction manager: every call acts on
 * the transaction associated with the calling thread by that manager (never another manager's).
 */
public final class TransactionSynchronizationRegistryImpl implements TransactionSynchronizationRegistry {
    private final Supplier<QuorumTransaction> current;

    public TransactionSynchronizationRegistryImpl(Supplier<QuorumTransaction> current) {
        this.current = current;
    }

    @Override
    public Object getTransactionKey() {
        return current.get();
    }

    @Override
    public void putResource(Object key, Object value) {
        required("putResource").putResource(key, value);
    }

    @Override
    public Object getResource(Object key) {
        return required("getResource").getResource(key);
    }

    @Override
    public void registerInterposedSynchronization(Synchronization sync) {
        required("registerInterposedSynchronization").registerInterposedSynchronization(sync);
    }

    @Override
    public int getTransactionStatus() {
        QuorumTransaction tx = current.get();
        return tx == null ? Status.STATUS_NO_TRANSACTION : tx.getStatus();
    }

    @Override
    public void setRollbackOnly() {
        required("setRollbackOnly").setRollbackOnly();
    }

    @Override
    public boolean getRollbackOnly() {
        return required("getRollbackOnly").isRollbackOnly();
    }

    private QuorumTransaction required(String operation) {
        QuorumTransaction tx = current.get();
        if (tx == null) {
            throw new IllegalStateException(operation + " needs a transaction, but none is associated with thread "
                    + Thread.currentThread().getName() + "; call begin() first");
        }
        return tx;
    }
}
