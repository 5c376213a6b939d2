package io.quorumtx.lock;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The locks one service holds, from grant to release. A grant belongs to one owner thread
 * ({@code ownerId:threadId}) and is a {@link Holder}; each acquire of it by that thread is a
 * {@link LockHandle} of the holder (reentrancy), and the lock is released when the last handle
 * is closed. While held, the {@link Watchdog} renews the lease every third of its length.
 *
 * <p>Within a service, threads wanting the same name take turns (a fair semaphore per name):
 * only the thread whose turn it is contends for the row in the database, and it keeps the turn
 * until its holder is freed. Other processes contend with that one thread.
 *
 * <p>Threads: a holder is touched by its owner thread (enter, exit, renew), by the watchdog's
 * thread (renew) and by the service's close (free); its methods are synchronized.
 */
final class HeldLocks {
    private static final Logger LOG = LoggerFactory.getLogger(HeldLocks.class);

    private final LockTable table;
    private final Watchdog watchdog;
    /** Held grants by owner and name. */
    private final Map<String, Holder> held = new ConcurrentHashMap<>();
    /** One turn per lock name among this service's threads. */
    private final Map<String, Semaphore> turns = new ConcurrentHashMap<>();

    HeldLocks(LockTable table, Watchdog watchdog) {
        this.table = table;
        this.watchdog = watchdog;
    }

    /** Another handle on {@code owner}'s grant of {@code name}, if it holds one that was not lost. */
    Optional<LockHandle> reenter(String owner, String name) {
        Holder mine = held.get(key(owner, name));
        return mine != null && !mine.lost ? Optional.of(mine.enter()) : Optional.empty();
    }

    /** This service's turn for {@code name} (FIFO); the caller acquires it before contending. */
    Semaphore turn(String name) {
        return turns.computeIfAbsent(name, n -> new Semaphore(1, true));
    }

    /**
     * Records a grant the database just made, starts renewing it, and returns its first handle.
     * The holder releases {@code turn} when it is freed.
     */
    LockHandle hold(String name, String owner, long token, Duration lease, Semaphore turn) {
        Holder h = new Holder(name, owner, token, lease, turn);
        held.put(key(owner, name), h);
        h.scheduleRenewal();
        return h.enter();
    }

    /** Releases every lock still held (best effort: a failure is logged and the others still released). */
    void releaseAll() {
        for (Holder h : List.copyOf(held.values())) {
            try {
                h.free();
            } catch (RuntimeException e) {
                LOG.warn("Could not release lock '{}' while closing: {}", h.name, e.getMessage());
            }
        }
    }

    private static String key(String owner, String name) {
        return owner + '\u0000' + name;
    }

    /** One grant held by one owner thread, shared by its reentrant handles. */
    private final class Holder {
        final String name;
        final String owner;
        final long token;
        final Duration lease;
        private final Semaphore turn;
        /** True once {@link #turn} was handed back: at the loss or at the release, whichever came first. */
        private boolean turnReturned;
        private int count;
        /** Written under the holder's lock; read without it by {@link Handle#isHeld()}. */
        private volatile boolean freed;
        volatile boolean lost;
        private Watchdog.Renewal renewal = Watchdog.NOT_SCHEDULED;

        Holder(String name, String owner, long token, Duration lease, Semaphore turn) {
            this.name = name;
            this.owner = owner;
            this.token = token;
            this.lease = lease;
            this.turn = turn;
        }

        synchronized LockHandle enter() {
            count++;
            return new Handle(this);
        }

        synchronized void scheduleRenewal() {
            renewal = watchdog.every(Duration.ofMillis(Math.max(1, lease.toMillis() / 3)), this::watchdogRenew);
        }

        private void watchdogRenew() {
            try {
                renew();
            } catch (LockLostException e) {
                LOG.warn("Watchdog: {}", e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("Watchdog could not renew lock '{}' (will retry while the lease lasts): {}", name, e.getMessage());
            }
        }

        synchronized void renew() {
            if (freed) {
                throw new LockLostException("Lock '" + name + "' was released; it cannot be renewed");
            }
            if (!table.renew(name, owner, token, lease)) {
                markLost();
                throw new LockLostException("Lock '" + name + "' (token " + token + ") is no longer held by " + owner
                        + ": its lease ended by the database's clock before it was renewed, and another owner may hold it"
                        + " with a higher token");
            }
        }

        /**
         * The grant is gone: stop renewing, and give up this holder's place at once — its owner
         * thread's next acquire must not find a reentrant hold that no longer exists, nor wait for a
         * turn that only a close of the lost handle would return.
         */
        synchronized void markLost() {
            lost = true;
            renewal.cancel();
            held.remove(key(owner, name), this);
            returnTurn();
        }

        private void returnTurn() {
            if (!turnReturned) {
                turnReturned = true;
                turn.release(); // the next thread of this service may try
            }
        }

        synchronized void exit() {
            if (--count == 0) {
                free();
            }
        }

        synchronized void free() {
            if (freed) {
                return;
            }
            freed = true;
            renewal.cancel();
            held.remove(key(owner, name), this);
            try {
                if (!table.release(name, owner, token)) {
                    throw new LockLostException("Cannot release lock '" + name + "' (token " + token + "): " + owner
                            + " no longer holds it (its lease ended and another owner took it, or an operator broke"
                            + " it)");
                }
            } finally {
                returnTurn();
            }
        }
    }

    /** One reentrant handle on a holder; closing it twice does nothing. */
    private final class Handle implements LockHandle {
        private final Holder holder;
        private boolean closed;

        Handle(Holder holder) {
            this.holder = holder;
        }

        @Override
        public String name() {
            return holder.name;
        }

        @Override
        public long token() {
            return holder.token;
        }

        @Override
        public void renew() {
            holder.renew();
        }

        @Override
        public boolean isHeld() {
            return !holder.freed && table.holds(holder.name, holder.owner, holder.token);
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            holder.exit();
        }

        @Override
        public String toString() {
            return "LockHandle[" + holder.name + ", token " + holder.token + "]";
        }
    }
}
