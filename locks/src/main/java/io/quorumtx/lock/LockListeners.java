package io.quorumtx.lock;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The listeners of one service, called so that none of them can break a lock operation. */
final class LockListeners {
    private static final Logger LOG = LoggerFactory.getLogger(LockListeners.class);

    private final List<LockListener> listeners = new CopyOnWriteArrayList<>();
    private final Set<LockListener> reported = ConcurrentHashMap.newKeySet();

    void add(LockListener listener) {
        listeners.add(listener);
    }

    boolean remove(LockListener listener) {
        return listeners.remove(listener);
    }

    void granted(String name, long waitedNanos) {
        each(l -> l.granted(name, waitedNanos));
    }

    void waiting(String name) {
        each(l -> l.waiting(name));
    }

    void gaveUp(String name) {
        each(l -> l.gaveUp(name));
    }

    void lost(LockLoss loss) {
        each(l -> l.onLost(loss));
    }

    private void each(Consumer<LockListener> call) {
        if (listeners.isEmpty()) {
            return;
        }
        for (LockListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                if (reported.add(l)) {
                    LOG.error("Lock listener {} threw; its exceptions are ignored and not logged again", l, e);
                }
            }
        }
    }
}
