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
 * <p><b>Certain validity.</b> A holder knows until when its lease is certainly valid by its own
 * monotonic clock: the database set the lease's end to <em>its</em> now plus the lease, and its
 * now was no earlier than the moment the statement was sent, so the lease lasts at least until
 * the send time plus the lease by the holder's clock (less {@link #RATE_ALLOWANCE_DIVISOR a
 * 1% allowance} for the two clocks ticking at different rates). The round trip only makes that
 * bound conservative. When renewals have not moved the bound by the time a sixth of the lease
 * is left, the holder is marked lost and the {@link LockListener}s are told — while the database
 * still shows the lease — and from then {@link LockHandle#token()} throws.
 *
 * <p>Within a service, threads wanting the same name take turns (a fair semaphore per name):
 * only the thread whose turn it is contends for the row in the database, and it keeps the turn
 * until its holder is freed or lost. Other processes contend with that one thread.
 *
 * <p>Threads: a holder is touched by its owner thread (enter, exit, renew), by the watchdog's
 * threads (renew, the loss notice) and by the service's close (free). State changes happen under
 * the holder's monitor; database calls and listeners run outside it, so a renewal stuck in the
 * database never delays the loss notice.
 */
final class HeldLocks {
    private static final Logger LOG = LoggerFactory.getLogger(HeldLocks.class);
    /** Certain validity is the lease less lease / 100: allowance for clock rates (NTP keeps them within 0.05%). */
    static final int RATE_ALLOWANCE_DIVISOR = 100;
    /** The loss notice comes when lease / 6 of certain validity is left. */
    static final int NOTICE_DIVISOR = 6;

    private final LockTable table;
    private final Watchdog watchdog;
    private final Ticker ticker;
    private final LockListeners listeners;
    /** How long a grant closed with nobody waiting stays with the service before it is released (zero: not at all). */
    private final Duration linger;
    /** Held grants by owner and name. */
    private final Map<String, Holder> held = new ConcurrentHashMap<>();
    /** One turn per lock name among this service's threads. */
    private final Map<String, Semaphore> turns = new ConcurrentHashMap<>();
    /**
     * Grants closed while another thread of this service waited for the name's turn, and not
     * released in the database: the next turn's grant takes the row over from them in its own
     * statement (one commit instead of a release's and a grant's). Put before the turn is
     * returned; taken by whoever gets the turn next.
     */
    private final Map<String, Handover> handovers = new ConcurrentHashMap<>();

    /**
     * A grant still held in the database, passed to the next thread of this service that gets
     * the name's turn. {@code streak}: how many handovers in a row led to it; at {@link
     * #MAX_HANDOVER_STREAK} the lock is released in the database instead, so that other processes
     * get a chance at it.
     */
    record Handover(String owner, long token, int streak) {
    }

    /** Handovers in a row before a real release lets other processes at the lock. */
    static final int MAX_HANDOVER_STREAK = 8;

    HeldLocks(LockTable table, Watchdog watchdog, Ticker ticker, LockListeners listeners, Duration linger) {
        this.table = table;
        this.watchdog = watchdog;
        this.ticker = ticker;
        this.listeners = listeners;
        this.linger = linger;
    }

    /**
     * The linger of {@code handover} is over: release it in the database, unless a thread of this
     * service took it meanwhile. A thread that has the name's turn takes the handover itself (it
     * asks for it right after getting the turn): then nothing is done here but to look again later.
     */
    private void endLinger(String name, Handover handover, Semaphore turn) {
        if (!handover.equals(handovers.get(name))) {
            return; // taken over by the service's next acquire, or released by close()
        }
        if (!turn.tryAcquire()) {
            watchdog.afterBlocking(linger, () -> endLinger(name, handover, turn));
            return;
        }
        try {
            if (handovers.remove(name, handover)) {
                releaseHandover(name, handover);
            }
        } finally {
            turn.release();
        }
    }

    /** Another handle on {@code owner}'s grant of {@code name}, if it holds one that is still valid. */
    Optional<LockHandle> reenter(String owner, String name) {
        Holder mine = held.get(key(owner, name));
        return mine != null && !mine.lost ? Optional.of(mine.enter()) : Optional.empty();
    }

    /** This service's turn for {@code name} (FIFO); the caller acquires it before contending. */
    Semaphore turn(String name) {
        return turns.computeIfAbsent(name, n -> new Semaphore(1, true));
    }

    /**
     * Records a grant the database just made (its statement sent at {@code sentNanos} by the
     * ticker), starts renewing it, and returns its first handle. The holder releases {@code turn}
     * when it is freed or lost.
     */
    LockHandle hold(String name, String owner, long token, Duration lease, long sentNanos, Semaphore turn,
            Handover from) {
        if (watchdog != Watchdog.OFF) {
            table.reserveRenewalConnection();
        }
        Holder h = new Holder(name, owner, token, lease, sentNanos, turn, from == null ? 0 : from.streak() + 1);
        held.put(key(owner, name), h);
        h.schedule();
        return h.enter();
    }

    /**
     * Called by the thread that just got {@code name}'s turn: the grant handed over to it, if any.
     * From now on that thread answers for it: its grant takes the row over, or it hands the
     * handover back with {@link #releaseHandover} when it gives up.
     */
    Handover takeHandover(String name) {
        return handovers.remove(name);
    }

    /**
     * Releases a handed-over grant that no grant took over (its taker gave up or failed): best
     * effort, its lease ends anyway. A grant that another owner took meanwhile is left alone.
     */
    void releaseHandover(String name, Handover handover) {
        try {
            table.release(name, handover.owner(), handover.token());
        } catch (RuntimeException e) {
            LOG.warn("Could not release lock '{}' (token {}) that no waiter took over; it is free when its lease"
                    + " ends: {}", name, handover.token(), e.getMessage());
        }
    }

    /**
     * A thread gave up waiting for {@code name}'s turn: if a handover was left for a turn that no
     * thread now holds (the waiter it was meant for gave up at the same moment), release it.
     */
    void abandonTurn(String name, Semaphore turn) {
        if (handovers.containsKey(name) && turn.tryAcquire()) {
            try {
                Handover orphan = handovers.remove(name);
                if (orphan != null) {
                    releaseHandover(name, orphan);
                }
            } finally {
                turn.release();
            }
        }
    }

    /** Releases every lock still held (best effort: a failure is logged and the others still released). */
    void releaseAll() {
        for (Map.Entry<String, Handover> e : List.copyOf(handovers.entrySet())) {
            if (handovers.remove(e.getKey(), e.getValue())) {
                releaseHandover(e.getKey(), e.getValue());
            }
        }
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

    private static long certain(Duration lease) {
        return lease.toNanos() - lease.toNanos() / RATE_ALLOWANCE_DIVISOR;
    }

    /** One grant held by one owner thread, shared by its reentrant handles. */
    final class Holder {
        final String name;
        final String owner;
        final long token;
        final Duration lease;
        private final Semaphore turn;
        /** Handovers in a row that led to this grant (0: granted from a free or expired row). */
        private final int streak;
        /** True once {@link #turn} was handed back: at the loss or at the release, whichever came first. */
        private boolean turnReturned;
        private int count;
        /** The ticker's time until which the lease certainly lasts; only ever moves forward. */
        private volatile long validUntil;
        /** Written under the holder's lock; read without it. */
        private volatile boolean freed;
        volatile boolean lost;
        private volatile String lastFailure = "no renewal was attempted";
        private Watchdog.Renewal renewal = Watchdog.NOT_SCHEDULED;
        private Watchdog.Renewal notice = Watchdog.NOT_SCHEDULED;

        Holder(String name, String owner, long token, Duration lease, long sentNanos, Semaphore turn, int streak) {
            this.name = name;
            this.streak = streak;
            this.owner = owner;
            this.token = token;
            this.lease = lease;
            this.turn = turn;
            this.validUntil = sentNanos + certain(lease);
        }

        synchronized LockHandle enter() {
            count++;
            return new Handle(this);
        }

        synchronized void schedule() {
            renewal = watchdog.every(Duration.ofMillis(Math.max(1, lease.toMillis() / 3)), this::watchdogRenew);
            scheduleNotice();
        }

        /** The loss notice, due when a sixth of the lease is left of the certain validity. */
        private void scheduleNotice() {
            notice.cancel();
            long due = validUntil - lease.toNanos() / NOTICE_DIVISOR - ticker.nanoTime();
            notice = watchdog.after(Duration.ofNanos(Math.max(0, due)), this::noticeDue);
        }

        private void noticeDue() {
            synchronized (this) {
                if (freed || lost) {
                    return;
                }
                if (validUntil - lease.toNanos() / NOTICE_DIVISOR > ticker.nanoTime()) {
                    scheduleNotice(); // renewed meanwhile
                    return;
                }
            }
            lose("it could not be renewed in time (" + lastFailure + "); its lease may end soon by the database's"
                    + " clock");
        }

        long validUntil() {
            return validUntil;
        }

        private void watchdogRenew() {
            try {
                renew();
            } catch (LockLostException e) {
                LOG.warn("Watchdog: {}", e.getMessage());
            } catch (RuntimeException e) {
                lastFailure = "last renewal failed: " + e.getMessage();
                LOG.warn("Watchdog could not renew lock '{}' (will retry while the lease lasts): {}", name, e.getMessage());
            }
        }

        void renew() {
            if (freed) {
                throw new LockLostException("Lock '" + name + "' was released; it cannot be renewed");
            }
            if (lost) {
                throw lostException();
            }
            long sent = ticker.nanoTime();
            if (!table.renew(name, owner, token, lease)) {
                lose("its lease ended by the database's clock before it was renewed, and another owner may hold"
                        + " it with a higher token");
                throw lostException();
            }
            synchronized (this) {
                if (!lost && !freed && sent + certain(lease) > validUntil) {
                    validUntil = sent + certain(lease);
                    scheduleNotice();
                }
            }
        }

        /**
         * The grant is gone or no longer certain: stop renewing, give up this holder's place at
         * once — its owner thread's next acquire must not find a reentrant hold that no longer
         * exists, nor wait for a turn that only a close of the lost handle would return — and tell
         * the listeners.
         */
        void lose(String reason) {
            synchronized (this) {
                if (lost || freed) {
                    return;
                }
                lost = true;
                lastFailure = reason;
                renewal.cancel();
                notice.cancel();
                held.remove(key(owner, name), this);
                returnTurn();
            }
            LockLoss loss = new LockLoss(name, owner, token, reason, validUntil - ticker.nanoTime());
            LOG.warn("Lock '{}' (token {}) is lost to {}: {}", name, token, owner, reason);
            listeners.lost(loss);
        }

        LockLostException lostException() {
            return new LockLostException("Lock '" + name + "' (token " + token + ") is no longer held by " + owner
                    + ": " + lastFailure);
        }

        /** The token, if the grant is still certainly valid (or was released normally). */
        long checkedToken() {
            if (lost) {
                throw lostException();
            }
            if (!freed && ticker.nanoTime() >= validUntil) {
                lose("its certain validity passed before it was renewed (" + lastFailure + ")");
                throw lostException();
            }
            return token;
        }

        boolean certainlyValid() {
            return !freed && !lost && ticker.nanoTime() < validUntil;
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
            notice.cancel();
            held.remove(key(owner, name), this);
            boolean waiting = turn.hasQueuedThreads();
            if (streak < MAX_HANDOVER_STREAK && ticker.nanoTime() < validUntil
                    && (waiting || (!lost && !linger.isZero()))) {
                // Another thread of this service waits for its turn: its grant takes the row over from
                // this one (a higher token, in one statement) instead of a release and a grant. If the
                // lease ends first, its grant finds the row expired; if it gives up, it releases this.
                // Nobody waits, but the service lingers: the same, for whichever of its threads asks
                // for the name within the linger; after it, the release (on a renewal thread).
                Handover handover = new Handover(owner, token, streak);
                handovers.put(name, handover);
                returnTurn();
                if (!waiting) {
                    watchdog.afterBlocking(linger, () -> endLinger(name, handover, turn));
                }
                return;
            }
            try {
                if (!table.release(name, owner, token)) {
                    if (!lost) {
                        // found only now: nobody renewed it in time, or it was broken
                        listeners.lost(new LockLoss(name, owner, token, "found at release: its lease ended or it was"
                                + " broken", 0));
                    }
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
            return holder.checkedToken();
        }

        @Override
        public long validUntilNanos() {
            return holder.validUntil();
        }

        @Override
        public void renew() {
            holder.renew();
        }

        @Override
        public boolean isHeld() {
            return holder.certainlyValid() && table.holds(holder.name, holder.owner, holder.token);
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
