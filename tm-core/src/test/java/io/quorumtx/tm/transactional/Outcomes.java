package io.quorumtx.tm.transactional;

import jakarta.transaction.RollbackException;
import jakarta.transaction.Synchronization;
import jakarta.transaction.SystemException;
import jakarta.transaction.Transaction;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The final status of each transaction a test registered here, in completion order. */
final class Outcomes {
    private final List<Integer> statuses = new CopyOnWriteArrayList<>();

    /** Records {@code tx}'s outcome when it completes; returns {@code tx} (null passes through). */
    Transaction watch(Transaction tx) throws RollbackException, SystemException {
        if (tx != null) {
            tx.registerSynchronization(new Synchronization() {
                @Override
                public void beforeCompletion() {
                }

                @Override
                public void afterCompletion(int status) {
                    statuses.add(status);
                }
            });
        }
        return tx;
    }

    List<Integer> statuses() {
        return statuses;
    }

    void clear() {
        statuses.clear();
    }
}
