package io.quorumtx.lock;

import io.quorumtx.jdbc.dialect.Dialect;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Distributed locks kept in a table of a database the application already has (H2, PostgreSQL,
 * MySQL/MariaDB): leases judged by the database's clock, fencing tokens that only grow,
 * reentrancy per owner thread, waiting with back-off, and a watchdog that renews held leases.
 *
 * <pre>{@code
 * DatabaseLockService locks = DatabaseLockService.builder(dataSource, Dialect.postgresql()).build();
 * try (LockHandle lock = locks.acquire("nightly-report")) {
 *     // ... work; write lock.token() with what you store, and have the store reject lower tokens
 * }
 * }</pre>
 *
 * <p>Each call takes a connection from the DataSource for a moment; pass a plain DataSource (not a
 * {@code TransactionalDataSource}), so lock statements never join the application's transaction.
 * Thread-safe.
 *
 * <p>This class is the API and the waiting; the statements on the table are {@link LockTable}'s
 * (their text per database {@link LockSql}'s), and what happens to a grant from then until its
 * release — reentrant handles, the watchdog's renewals, the release — is {@link HeldLocks}'.
 */
public final class DatabaseLockService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DatabaseLockService.class);
    public static final String DEFAULT_TABLE = "quorumtx_locks";
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    /** The release linger on MySQL/MariaDB unless set ({@link Builder#releaseLinger}). */
    public static final Duration DEFAULT_MYSQL_LINGER = Duration.ofMillis(2);

    private final LockTable table;
    private final Watchdog watchdog;
    private final HeldLocks holders;
    private final String ownerId;
    private final Duration defaultLease;
    private final Duration backoffInitial;
    private final Duration backoffMax;
    private final LockListeners listeners = new LockListeners();
    private final Ticker ticker;
    private volatile boolean closed;

    private DatabaseLockService(Builder b, LockTable table) {
        this.table = table;
        this.ownerId = b.ownerId;
        this.defaultLease = b.lease;
        this.backoffInitial = b.backoffInitial;
        this.backoffMax = b.backoffMax;
        this.watchdog = b.customWatchdog != null ? b.customWatchdog
                : b.watchdog ? Watchdog.onDaemonThread(ownerId) : Watchdog.OFF;
        this.ticker = b.ticker;
        b.listeners.forEach(listeners::add);
        // The linger needs the service's own timer; a hand-run or no watchdog releases at once, unless set.
        Duration linger = b.releaseLinger != null ? b.releaseLinger
                : b.customWatchdog == null && b.watchdog && b.dialect.name().equalsIgnoreCase("mysql")
                ? DEFAULT_MYSQL_LINGER : Duration.ZERO;
        this.holders = new HeldLocks(table, watchdog, ticker, listeners, watchdog == Watchdog.OFF ? Duration.ZERO
                : linger);
    }

    public static Builder builder(DataSource dataSource, Dialect dialect) {
        return new Builder(dataSource, dialect);
    }

    /** Waits as long as it takes for {@code name}, with the default lease. */
    public LockHandle acquire(String name) throws InterruptedException {
        return acquire(name, defaultLease);
    }

    /** Waits as long as it takes for {@code name}, with an explicit lease. */
    public LockHandle acquire(String name, Duration lease) throws InterruptedException {
        return tryAcquire(name, null, lease).orElseThrow();
    }

    /** Waits at most {@code wait} for {@code name} (zero: one attempt), with the default lease. */
    public Optional<LockHandle> tryAcquire(String name, Duration wait) throws InterruptedException {
        requireNonNegative("wait", wait);
        return tryAcquire(name, wait, defaultLease);
    }

    /** Waits at most {@code wait} (null: forever) for {@code name} with {@code lease}. */
    public Optional<LockHandle> tryAcquire(String name, Duration wait, Duration lease) throws InterruptedException {
        requireName(name);
        requirePositive("lease", lease);
        if (closed) {
            throw new IllegalStateException("The lock service of " + ownerId + " is closed");
        }
        String owner = owner();
        Optional<LockHandle> mine = holders.reenter(owner, name);
        if (mine.isPresent()) {
            return mine; // reentrant: same owner thread
        }
        long begin = System.nanoTime();
        long deadline = wait == null ? Long.MAX_VALUE : begin + wait.toNanos();
        // Threads of this service queue for the name here first (FIFO), so only one of them at a
        // time contends for the row in the database; other processes contend with that one.
        Semaphore turn = holders.turn(name);
        boolean waited = false;
        if (!turn.tryAcquire(0, TimeUnit.NANOSECONDS)) { // honours the queue, unlike tryAcquire()
            waited = true;
            listeners.waiting(name);
            boolean got = false;
            try {
                if (wait == null) {
                    turn.acquire();
                    got = true;
                } else {
                    got = turn.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                }
            } finally {
                if (!got) {
                    holders.abandonTurn(name, turn); // a grant handed over to this waiter must not stay held
                }
            }
            if (!got) {
                listeners.gaveUp(name);
                return Optional.empty();
            }
        }
        // This thread has the turn: a grant of this service closed while it waited may be handed to it.
        HeldLocks.Handover handover = holders.takeHandover(name);
        boolean granted = false;
        try {
            Optional<LockHandle> handle = grantOrWait(name, owner, lease, deadline, turn, waited, handover);
            granted = handle.isPresent();
            if (granted) {
                listeners.granted(name, System.nanoTime() - begin);
            } else {
                listeners.gaveUp(name);
            }
            return handle;
        } finally {
            if (!granted) {
                if (handover != null) {
                    holders.releaseHandover(name, handover); // a no-op if another owner took the lock meanwhile
                }
                turn.release();
            }
        }
    }

    /**
     * The database part of an acquire, holding this service's turn for the name; tells the
     * listeners when it starts waiting, unless the acquire already waited for its turn.
     */
    private Optional<LockHandle> grantOrWait(String name, String owner, Duration lease, long deadline, Semaphore turn,
            boolean waited, HeldLocks.Handover handover) throws InterruptedException {
        long backoff = backoffInitial.toNanos();
        boolean told = waited;
        while (true) {
            long sent = ticker.nanoTime(); // the lease's end is the database's now (no earlier) plus the lease
            Optional<Long> token = table.grant(name, owner, lease, handover);
            if (token.isPresent()) {
                return Optional.of(holders.hold(name, owner, token.get(), lease, sent, turn, handover));
            }
            if (!told) {
                told = true;
                listeners.waiting(name); // found it held: this acquire waits, or gives up at once
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            // Back-off with jitter: contenders spread out instead of hammering the row together.
            long sleep = Math.min(left, ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1));
            table.awaitRelease(name, sleep); // or, on PostgreSQL, until a release is announced
            backoff = Math.min(backoffMax.toNanos(), backoff * 2);
        }
    }

    /**
     * Acquires {@code name} (waiting as long as it takes) for the calling thread's current
     * transaction of {@code registry}'s manager, and releases it when that transaction completes,
     * committed or rolled back. Reentrant like {@link #acquire(String)}.
     *
     * @throws IllegalStateException if the thread has no active transaction
     */
    public LockHandle acquireForTransaction(TransactionSynchronizationRegistry registry, String name)
            throws InterruptedException {
        if (registry.getTransactionStatus() != Status.STATUS_ACTIVE) {
            throw new IllegalStateException("Lock '" + name + "' cannot be tied to a transaction: the calling thread"
                    + " has no active transaction (status " + registry.getTransactionStatus() + ")");
        }
        LockHandle lock = acquire(name);
        try {
            registry.registerInterposedSynchronization(new Synchronization() {
                @Override
                public void beforeCompletion() {
                }

                @Override
                public void afterCompletion(int status) {
                    try {
                        lock.close();
                    } catch (RuntimeException e) {
                        LOG.warn("Transaction-scoped lock '{}' could not be released: {}", name, e.getMessage());
                    }
                }
            });
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        return lock;
    }

    /** Every lock in the table as the database sees it now (the tool's {@code locks list}). */
    public List<LockInfo> list() {
        return table.list();
    }

    /** Frees {@code name} whoever holds it (an operator's decision). Returns false if no such lock exists. */
    public boolean breakLock(String name) {
        requireName(name);
        return table.breakLock(name);
    }

    /**
     * Registers {@code listener}: from now on it is told of every grant, wait and loss of this
     * service (see {@link LockListener}). Thread-safe.
     */
    public void addListener(LockListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Removes {@code listener}; returns false if it was not registered. */
    public boolean removeListener(LockListener listener) {
        return listeners.remove(listener);
    }

    /** This service's owner id (each thread holds as {@code ownerId:threadId}). */
    public String ownerId() {
        return ownerId;
    }

    /** Stops the watchdog and releases every lock still held through this service (best effort). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        watchdog.stop();
        table.stopListening();
        holders.releaseAll();
        table.closeRenewals();
    }

    /** Tests: true while a thread of this service waits for its turn at {@code name}. */
    boolean hasQueuedAcquires(String name) {
        return holders.turn(name).hasQueuedThreads();
    }

    private String owner() {
        return ownerId + ":" + Thread.currentThread().getId();
    }

    // ------------------------------------------------------------------ validation

    private static void requireName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("A lock name must not be " + (name == null ? "null" : "empty"));
        }
        if (name.length() > LockSql.MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("Lock name '" + name.substring(0, 40) + "...' has " + name.length()
                    + " characters; at most " + LockSql.MAX_NAME_LENGTH + " are allowed");
        }
    }

    private static void requirePositive(String what, Duration d) {
        Objects.requireNonNull(d, () -> what + " must not be null");
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("The " + what + " must be positive, got " + d);
        }
    }

    private static void requireNonNegative(String what, Duration d) {
        Objects.requireNonNull(d, () -> what + " must not be null");
        if (d.isNegative()) {
            throw new IllegalArgumentException("The " + what + " must not be negative, got " + d);
        }
    }

    /** Settings of a {@link DatabaseLockService}, checked at {@link #build()}. */
    public static final class Builder {
        private final DataSource dataSource;
        private final Dialect dialect;
        private String table = DEFAULT_TABLE;
        private boolean createTable = true;
        private Duration lease = DEFAULT_LEASE;
        private boolean watchdog = true;
        private Watchdog customWatchdog;
        private String ownerId = ManagementFactory.getRuntimeMXBean().getName() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        private Duration backoffInitial = Duration.ofMillis(10);
        private Duration backoffMax = Duration.ofSeconds(1);
        private Ticker ticker = Ticker.SYSTEM;
        private Duration releaseLinger;
        private final List<LockListener> listeners = new java.util.ArrayList<>();

        private Builder(DataSource dataSource, Dialect dialect) {
            this.dataSource = dataSource;
            this.dialect = dialect;
        }

        /** The lock table (default {@value DatabaseLockService#DEFAULT_TABLE}); a plain identifier. */
        public Builder table(String table) {
            this.table = table;
            return this;
        }

        /** Create the table if it does not exist (default true); false: it must exist (see the README's DDL). */
        public Builder createTable(boolean create) {
            this.createTable = create;
            return this;
        }

        /** The lease of {@link #acquire(String)} and {@link #tryAcquire(String, Duration)} (default 30 s). */
        public Builder defaultLease(Duration lease) {
            this.lease = lease;
            return this;
        }

        /** Renew held leases every third of their length while held (default on). */
        public Builder watchdog(boolean on) {
            this.watchdog = on;
            return this;
        }

        /** Tests: renewals scheduled by {@code watchdog} (e.g. run by hand) instead of the service's own thread. */
        Builder watchdog(Watchdog watchdog) {
            this.customWatchdog = Objects.requireNonNull(watchdog, "watchdog");
            return this;
        }

        /** Tests: the monotonic clock of certain validity, moved by the test. */
        Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** This process's owner id (default: pid@host plus a random suffix); at most 180 characters. */
        public Builder ownerId(String ownerId) {
            this.ownerId = ownerId;
            return this;
        }

        /** Back-off between attempts while waiting: starts at {@code initial}, doubles up to {@code max}. */
        public Builder backoff(Duration initial, Duration max) {
            this.backoffInitial = initial;
            this.backoffMax = max;
            return this;
        }

        /**
         * How long a lock closed while no thread of this service waits for it stays with the
         * service before it is released in the database (default 2 ms on MySQL/MariaDB, zero on H2 and PostgreSQL). A thread of
         * the service that asks for the name within the linger takes it over in its granting
         * statement — one round trip for a release and a grant. Other processes find the lock held
         * for that long after {@code close()} returns; if this process dies within it, the lock is
         * held until its lease ends. {@code Duration.ZERO}: released before {@code close()} returns.
         * Needs the service's watchdog ({@code watchdog(true)}).
         */
        public Builder releaseLinger(Duration linger) {
            Objects.requireNonNull(linger, "releaseLinger must not be null; Duration.ZERO turns it off");
            this.releaseLinger = linger;
            return this;
        }

        /** Registers {@code listener} from the start (see {@link DatabaseLockService#addListener}). */
        public Builder listener(LockListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        public DatabaseLockService build() {
            Objects.requireNonNull(dataSource, "dataSource must not be null");
            Objects.requireNonNull(dialect, "dialect must not be null; use Dialect.h2(), postgresql() or mysql()");
            requirePositive("default lease", lease);
            requirePositive("initial back-off", backoffInitial);
            requirePositive("maximum back-off", backoffMax);
            if (releaseLinger != null) {
                requireNonNegative("release linger", releaseLinger);
                if (!releaseLinger.isZero() && !watchdog) {
                    throw new IllegalArgumentException("releaseLinger(" + releaseLinger + ") needs the watchdog, which"
                            + " releases the lock when the linger ends: watchdog(false) allows only Duration.ZERO");
                }
                if (releaseLinger.compareTo(lease) >= 0) {
                    throw new IllegalArgumentException("The release linger (" + releaseLinger + ") must be shorter than"
                            + " the default lease (" + lease + ")");
                }
            }
            if (ownerId == null || ownerId.isEmpty() || ownerId.length() > LockSql.MAX_NAME_LENGTH - 20) {
                throw new IllegalArgumentException("ownerId must have 1 to " + (LockSql.MAX_NAME_LENGTH - 20)
                        + " characters");
            }
            LockTable lockTable = new LockTable(dataSource, dialect, table);
            lockTable.prepare(createTable);
            return new DatabaseLockService(this, lockTable);
        }
    }
}
