package io.quorumtx.lock;

import io.quorumtx.jdbc.dialect.Dialect;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 */
public final class DatabaseLockService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DatabaseLockService.class);
    public static final String DEFAULT_TABLE = "quorumtx_locks";
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);

    private final DataSource dataSource;
    private final LockSql sql;
    private final String ownerId;
    private final Duration defaultLease;
    private final Duration backoffInitial;
    private final Duration backoffMax;
    private final ScheduledExecutorService watchdog;
    /** PostgreSQL only: waiters woken by LISTEN/NOTIFY when a lock is released; null elsewhere. */
    private final PgNotifications notifications;
    /** Held locks by owner (this service's id and the thread) and name: reentrancy and the watchdog. */
    private final Map<String, Holder> held = new ConcurrentHashMap<>();
    /** One turn per lock name among this service's threads (see tryAcquire). */
    private final Map<String, java.util.concurrent.Semaphore> local = new ConcurrentHashMap<>();
    /** Lock names whose row is known to exist: no INSERT attempt for them. */
    private final java.util.Set<String> rowsKnown = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private DatabaseLockService(Builder b) {
        this.dataSource = b.dataSource;
        this.sql = LockSql.of(b.dialect, b.table);
        this.ownerId = b.ownerId;
        this.defaultLease = b.lease;
        this.backoffInitial = b.backoffInitial;
        this.backoffMax = b.backoffMax;
        this.watchdog = b.watchdog ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "quorumtx-lock-watchdog-" + ownerId);
            t.setDaemon(true);
            return t;
        }) : null;
        this.notifications = b.dialect.name().equals("postgresql") ? new PgNotifications(dataSource, sql.table) : null;
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
        Holder mine = held.get(key(owner, name));
        if (mine != null && !mine.lost) {
            return Optional.of(mine.enter()); // reentrant: same owner thread
        }
        long deadline = wait == null ? Long.MAX_VALUE : System.nanoTime() + wait.toNanos();
        // Threads of this service queue for the name here first (FIFO), so only one of them at a
        // time contends for the row in the database; other processes contend with that one.
        java.util.concurrent.Semaphore turn = local.computeIfAbsent(name, n -> new java.util.concurrent.Semaphore(1, true));
        if (wait == null) {
            turn.acquire();
        } else if (!turn.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            return Optional.empty();
        }
        boolean granted = false;
        try {
            Optional<LockHandle> handle = grantOrWait(name, owner, lease, deadline, turn);
            granted = handle.isPresent();
            return handle;
        } finally {
            if (!granted) {
                turn.release();
            }
        }
    }

    /** The database part of an acquire, holding this service's turn for the name. */
    private Optional<LockHandle> grantOrWait(String name, String owner, Duration lease, long deadline,
                                             java.util.concurrent.Semaphore turn) throws InterruptedException {
        long backoff = backoffInitial.toNanos();
        while (true) {
            Optional<Long> token = grant(name, owner, lease);
            if (token.isPresent()) {
                Holder h = new Holder(name, owner, token.get(), lease, turn);
                held.put(key(owner, name), h);
                h.scheduleRenewal();
                return Optional.of(h.enter());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            // Back-off with jitter: contenders spread out instead of hammering the row together.
            long sleep = Math.min(left, ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1));
            if (notifications != null) {
                notifications.await(name, TimeUnit.NANOSECONDS.toMillis(sleep)); // or until a release is announced
            } else {
                TimeUnit.NANOSECONDS.sleep(sleep);
            }
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
    public LockHandle acquireForTransaction(jakarta.transaction.TransactionSynchronizationRegistry registry,
                                            String name) throws InterruptedException {
        if (registry.getTransactionStatus() != jakarta.transaction.Status.STATUS_ACTIVE) {
            throw new IllegalStateException("Lock '" + name + "' cannot be tied to a transaction: the calling thread"
                    + " has no active transaction (status " + registry.getTransactionStatus() + ")");
        }
        LockHandle lock = acquire(name);
        try {
            registry.registerInterposedSynchronization(new jakarta.transaction.Synchronization() {
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
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql.list())) {
            List<LockInfo> all = new ArrayList<>();
            while (rs.next()) {
                java.sql.Timestamp until = rs.getTimestamp(4);
                java.sql.Timestamp now = rs.getTimestamp(5);
                all.add(new LockInfo(rs.getString(1), Optional.ofNullable(rs.getString(2)), rs.getLong(3),
                        Optional.ofNullable(until).map(java.sql.Timestamp::toInstant), now.toInstant()));
            }
            return all;
        } catch (SQLException e) {
            throw failure("list the locks", e);
        }
    }

    /** Frees {@code name} whoever holds it (an operator's decision). Returns false if no such lock exists. */
    public boolean breakLock(String name) {
        requireName(name);
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql.breakLock())) {
            ps.setString(1, name);
            boolean found = ps.executeUpdate() == 1;
            announceRelease(c, name);
            if (found) {
                LOG.warn("Lock '{}' in table {} was broken by an operator: its holder no longer holds it", name,
                        sql.table);
            }
            return found;
        } catch (SQLException e) {
            throw failure("break lock '" + name + "'", e);
        }
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
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
        if (notifications != null) {
            notifications.close();
        }
        for (Holder h : List.copyOf(held.values())) {
            try {
                h.free();
            } catch (RuntimeException e) {
                LOG.warn("Could not release lock '{}' while closing: {}", h.name, e.getMessage());
            }
        }
    }

    /** One lock as {@link #list()} shows it: holder (empty if free), token, lease end and the database's now. */
    public record LockInfo(String name, Optional<String> owner, long token, Optional<Instant> leaseUntil,
                           Instant databaseNow) {
        /** True if an owner holds it with a lease that has not ended by the database's clock. */
        public boolean held() {
            return owner.isPresent() && leaseUntil.isPresent() && !leaseUntil.get().isBefore(databaseNow);
        }
    }

    // ------------------------------------------------------------------ SQL

    /**
     * One attempt: the granting UPDATE (the database decides, by its clock, whether the lock is
     * free or its lease has ended), then this grant's token. The row is inserted first only the
     * first time this service meets the name.
     */
    private Optional<Long> grant(String name, String owner, Duration lease) {
        try (Connection c = dataSource.getConnection()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            if (!rowsKnown.contains(name)) {
                insertIfAbsent(c, name);
                rowsKnown.add(name);
            }
            int granted;
            try (PreparedStatement ps = c.prepareStatement(sql.grant())) {
                ps.setString(1, owner);
                ps.setLong(2, lease.toMillis());
                ps.setString(3, name);
                granted = ps.executeUpdate();
            }
            if (granted != 1) {
                return Optional.empty();
            }
            // Ours until the lease ends: nobody else can change the token before, so reading it now is exact.
            try (PreparedStatement ps = c.prepareStatement(sql.heldToken())) {
                ps.setString(1, name);
                ps.setString(2, owner);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
                }
            }
        } catch (SQLException e) {
            if (isConflict(e)) {
                return Optional.empty(); // another contender's grant won the row at the same moment
            }
            throw failure("acquire lock '" + name + "'", e);
        }
    }

    private void insertIfAbsent(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.insert())) {
            ps.setString(1, name);
            ps.executeUpdate();
        } catch (SQLException e) {
            if (!isDuplicateKey(e)) {
                throw e;
            }
        }
    }

    /** Runs a renew ({@code millis} >= 0) or a release ({@code millis} < 0, announced to waiters) of one grant. */
    private int update(String statement, String what, long millis, String owner, long token, String name) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(statement)) {
            int i = 1;
            if (millis >= 0) {
                ps.setLong(i++, millis);
            }
            ps.setString(i++, owner);
            ps.setLong(i++, token);
            ps.setString(i, name);
            int rows = ps.executeUpdate();
            if (millis < 0 && rows == 1) {
                announceRelease(c, name);
            }
            return rows;
        } catch (SQLException e) {
            throw failure(what + " lock '" + name + "'", e);
        }
    }

    /** PostgreSQL: wakes the waiters of {@code name} in every process (the release is committed: autocommit). */
    private void announceRelease(Connection c, String name) {
        if (notifications == null) {
            return;
        }
        try {
            notifications.notifyReleased(c, name);
        } catch (SQLException e) {
            LOG.debug("Could not announce the release of lock '{}' ({}); waiters find it at their next try", name,
                    e.getMessage());
        }
    }

    private boolean stillHeld(String name, String owner, long token) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql.heldToken())) {
            ps.setString(1, name);
            ps.setString(2, owner);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getLong(1) == token;
            }
        } catch (SQLException e) {
            throw failure("check lock '" + name + "'", e);
        }
    }

    private static boolean isDuplicateKey(SQLException e) {
        String state = e.getSQLState();
        return state != null && state.startsWith("23");
    }

    /** Serialization failures and deadlocks between two grants of one row: the loser simply waits. */
    private static boolean isConflict(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.equals("40001") || state.equals("40P01") || state.startsWith("23")
                || state.equals("90131") || state.equals("HYT00"));
    }

    private IllegalStateException failure(String what, SQLException e) {
        return new IllegalStateException("Could not " + what + " in lock table " + sql.table + ": " + e.getMessage()
                + " (SQLState " + e.getSQLState() + ")", e);
    }

    // ------------------------------------------------------------------ holders

    private String owner() {
        return ownerId + ":" + Thread.currentThread().getId();
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
        private final java.util.concurrent.Semaphore turn;
        private int count;
        private boolean freed;
        volatile boolean lost;
        private java.util.concurrent.ScheduledFuture<?> renewal;

        Holder(String name, String owner, long token, Duration lease, java.util.concurrent.Semaphore turn) {
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

        void scheduleRenewal() {
            if (watchdog == null) {
                return;
            }
            long period = Math.max(1, lease.toMillis() / 3);
            try {
                renewal = watchdog.scheduleWithFixedDelay(this::watchdogRenew, period, period, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // the service is closing; the lease simply runs out
            }
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
            if (update(sql.renew(), "renew", lease.toMillis(), owner, token, name) != 1) {
                lost = true;
                stopRenewal();
                throw new LockLostException("Lock '" + name + "' (token " + token + ") is no longer held by " + owner
                        + ": its lease ended by the database's clock before it was renewed, and another owner may hold it"
                        + " with a higher token");
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
            stopRenewal();
            held.remove(key(owner, name), this);
            try {
                if (update(sql.release(), "release", -1, owner, token, name) != 1) {
                    throw new LockLostException("Cannot release lock '" + name + "' (token " + token + "): " + owner
                            + " no longer holds it (its lease ended and another owner took it, or an operator broke"
                            + " it)");
                }
            } finally {
                turn.release(); // the next thread of this service may try
            }
        }

        private void stopRenewal() {
            if (renewal != null) {
                renewal.cancel(false);
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
            return !holder.freed && stillHeld(holder.name, holder.owner, holder.token);
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
        private String ownerId = ManagementFactory.getRuntimeMXBean().getName() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        private Duration backoffInitial = Duration.ofMillis(10);
        private Duration backoffMax = Duration.ofSeconds(1);

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

        public DatabaseLockService build() {
            Objects.requireNonNull(dataSource, "dataSource must not be null");
            Objects.requireNonNull(dialect, "dialect must not be null; use Dialect.h2(), postgresql() or mysql()");
            requirePositive("default lease", lease);
            requirePositive("initial back-off", backoffInitial);
            requirePositive("maximum back-off", backoffMax);
            if (ownerId == null || ownerId.isEmpty() || ownerId.length() > LockSql.MAX_NAME_LENGTH - 20) {
                throw new IllegalArgumentException("ownerId must have 1 to " + (LockSql.MAX_NAME_LENGTH - 20)
                        + " characters");
            }
            DatabaseLockService service = new DatabaseLockService(this);
            service.prepareTable(createTable);
            return service;
        }
    }

    private void prepareTable(boolean create) {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            if (create) {
                s.execute(sql.createTable());
            }
            try (ResultSet ignored = s.executeQuery(sql.probe())) {
                // the columns exist
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Lock table " + sql.table + " cannot be used: " + e.getMessage()
                    + ". It must have the columns name, owner, token and lease_until (see the README for each"
                    + " database's DDL)" + (create ? "" : ", or let the service create it with createTable(true)"), e);
        }
    }
}
