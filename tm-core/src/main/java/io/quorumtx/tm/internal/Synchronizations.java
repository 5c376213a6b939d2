package io.quorumtx.tm.internal;

import jakarta.transaction.Synchronization;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The synchronizations of one transaction, in the order JTA prescribes: regular
 * {@code beforeCompletion} in registration order, then interposed ones; at the end interposed
 * {@code afterCompletion} first, then regular ones (TransactionSynchronizationRegistry Javadoc).
 *
 * <p>Callbacks run without the monitor held, and a callback may register more synchronizations
 * (an ORM flushing registers its own): the lists are walked by index so late additions run too.
 * Once interposed callbacks have started, regular registrations are refused; once
 * {@code afterCompletion} has started, every registration is refused.
 */
final class Synchronizations {
    private static final Logger LOG = LoggerFactory.getLogger(Synchronizations.class);

    private static final int REGISTERING = 0;
    private static final int INTERPOSED_BEFORE = 1;
    private static final int AFTER = 2;

    private ArrayList<Synchronization> regular;
    private ArrayList<Synchronization> interposed;
    private int phase = REGISTERING;

    /** Adds a regular synchronization; false if interposed callbacks or afterCompletion have begun. */
    synchronized boolean addRegular(Synchronization sync) {
        if (phase != REGISTERING) {
            return false;
        }
        if (regular == null) {
            regular = new ArrayList<>(4);
        }
        regular.add(sync);
        return true;
    }

    /** Adds an interposed synchronization; false once afterCompletion has begun. */
    synchronized boolean addInterposed(Synchronization sync) {
        if (phase == AFTER) {
            return false;
        }
        if (interposed == null) {
            interposed = new ArrayList<>(4);
        }
        interposed.add(sync);
        return true;
    }

    /**
     * Runs every beforeCompletion, stopping early once {@code stop} says the transaction will roll
     * back anyway. Returns the first failure (the transaction must then roll back), or null.
     */
    Throwable runBeforeCompletion(BooleanSupplier stop) {
        try {
            runBefore(false, stop);
            synchronized (this) {
                phase = INTERPOSED_BEFORE;
            }
            runBefore(true, stop);
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    private void runBefore(boolean interposedList, BooleanSupplier stop) {
        for (int i = 0; !stop.getAsBoolean(); i++) {
            Synchronization sync;
            synchronized (this) {
                List<Synchronization> list = interposedList ? interposed : regular;
                if (list == null || i >= list.size()) {
                    return;
                }
                sync = list.get(i);
            }
            sync.beforeCompletion();
        }
    }

    /** Runs every afterCompletion; failures are logged, never propagated (the outcome is decided). */
    void runAfterCompletion(int status, String gtrid) {
        List<Synchronization> first;
        List<Synchronization> second;
        synchronized (this) {
            phase = AFTER;
            first = interposed;
            second = regular;
        }
        runAfter(first, status, gtrid);
        runAfter(second, status, gtrid);
    }

    private static void runAfter(List<Synchronization> list, int status, String gtrid) {
        if (list == null) {
            return;
        }
        for (Synchronization sync : list) {
            try {
                sync.afterCompletion(status);
            } catch (Throwable t) {
                LOG.warn("afterCompletion({}) of {} in transaction {} failed; ignored", status, sync, gtrid, t);
            }
        }
    }
}
