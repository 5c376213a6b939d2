package io.quorumtx.messaging;

import io.quorumtx.jdbc.dialect.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes committed outbox messages to a broker and removes each one only after the broker
 * confirmed it: at-least-once delivery, in {@code key_seq} order per key.
 *
 * <pre>{@code
 * OutboxRelay relay = OutboxRelay.builder(plainOrdersPool, RabbitMqPublisher.builder().host("127.0.0.1").build())
 *         .table("qtx_outbox").relayId("node-1").partitions(16).build();
 * relay.start();   // a daemon thread; relay.close() stops it and hands its partitions back
 * }</pre>
 *
 * <h2>One pass</h2>
 * {@link #relayOnce()}: keep the partition leases ({@link PartitionLeases}); read up to
 * {@code batchSize} messages of the owned partitions in insertion order (a key's later message is
 * always inserted after its earlier one committed, so a batch never holds a key's message without
 * the earlier ones still waiting); hand them to the {@link MessagePublisher}, which returns once the
 * broker confirmed them; delete the confirmed ones. A relay that dies between the confirm and the
 * delete leaves the messages in the outbox, and whoever owns the partition next publishes them
 * again under the same id.
 *
 * <h2>Several relays</h2>
 * Keys are split into {@code partitions} by {@code hash(key) mod partitions}; each partition is
 * published by the one relay holding its lease, so in the normal case no message is published twice
 * and a key's messages leave in order. Relays share the partitions fairly; a dead relay's
 * partitions are taken over when its lease ends. Every relay of one table must use the same
 * {@code partitions}.
 *
 * <h2>Failures</h2>
 * <ul>
 *   <li>Broker unreachable, confirm timed out: the messages stay; the relay waits
 *       {@code pollInterval × 2^failures}, capped at {@code maxBackoff}, and tries again, for as
 *       long as the outage lasts.</li>
 *   <li>A message the broker refuses for good (unroutable, no stream): its {@code attempts} grows
 *       (with the same back-off); after {@code maxAttempts} it is moved to {@code <table>_dead} with
 *       the broker's reason and logged as an error, and its key moves on ({@link #deadCount()}).
 *       From its first refusal on, the later messages of its key wait behind it; those that were in
 *       the same batch as the first refusal may already have been confirmed (a broker tells of an
 *       unroutable message only after it was sent): the refused message then arrives after them.</li>
 *   <li>Database unreachable: the pass fails, the relay backs off the same way and its leases lapse
 *       if the outage outlasts them.</li>
 * </ul>
 */
public final class OutboxRelay implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);

    private final DataSource dataSource;
    private final MessagePublisher publisher;
    private final String table;
    private final String relayId;
    private final int batchSize;
    private final Duration pollInterval;
    private final Duration maxBackoff;
    private final int partitions;
    private final Duration lease;
    private final int maxAttempts;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object passLock = new Object();
    private volatile Thread thread;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    // Confined to the pass (guarded by passLock):
    private OutboxSql sql;
    private PartitionLeases leases;
    private long nextMaintenanceNanos;

    private OutboxRelay(Builder b) {
        this.dataSource = b.dataSource;
        this.publisher = b.publisher;
        this.table = b.table;
        this.relayId = b.relayId;
        this.batchSize = b.batchSize;
        this.pollInterval = b.pollInterval;
        this.maxBackoff = b.maxBackoff;
        this.partitions = b.partitions;
        this.lease = b.lease;
        this.maxAttempts = b.maxAttempts;
    }

    /**
     * Starts building a relay.
     *
     * @param plain a DataSource of the outbox's database that is NOT enlisted in QuorumTX
     *     transactions (the application's plain pool): the relay's reads and deletes are its own
     *     short local transactions
     * @param publisher where the messages go
     */
    public static Builder builder(DataSource plain, MessagePublisher publisher) {
        return new Builder(plain, publisher);
    }

    /** This relay's id (the owner in the lease table). */
    public String relayId() {
        return relayId;
    }

    /** Starts the relay's daemon thread, which runs passes until {@link #close()}. */
    public void start() {
        if (closed.get()) {
            throw new IllegalStateException("relay " + relayId + " is closed");
        }
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("relay " + relayId + " is already started");
        }
        Thread t = new Thread(this::run, "qtx-outbox-relay-" + table + "-" + relayId);
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /**
     * Stops the thread (after its current pass), hands the partitions back so another relay takes
     * them at once, and closes the publisher.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Thread t = thread;
        if (t != null) {
            // Woken, never interrupted: the relay may be inside the outbox database's I/O, and H2
            // closes its database file when a thread in its file I/O is interrupted.
            LockSupport.unpark(t);
            try {
                t.join(Duration.ofSeconds(30).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (passLock) {
            try {
                if (leases != null) {
                    leases.releaseAll();
                }
            } catch (SQLException | RuntimeException e) {
                LOG.warn("Relay {} could not hand its partitions of {} back ({}); they are taken over when the lease"
                        + " ends", relayId, table, e.getMessage());
            } finally {
                publisher.close();
            }
        }
    }

    /**
     * One pass: keeps the leases, publishes one batch of the owned partitions and deletes what the
     * broker confirmed. For tests and for callers that drive the relay themselves (no thread needed).
     *
     * @return how many messages were confirmed and removed (0 when the publication failed: see
     *     {@link #consecutiveFailures()})
     * @throws SQLException if the outbox's database failed
     */
    public int relayOnce() throws SQLException {
        synchronized (passLock) {
            if (closed.get()) {
                throw new IllegalStateException("relay " + relayId + " is closed");
            }
            prepare();
            if (System.nanoTime() - nextMaintenanceNanos >= 0) {
                try {
                    leases.maintain();
                } catch (SQLException e) {
                    leases.forget();
                    throw e;
                }
                nextMaintenanceNanos = System.nanoTime() + lease.dividedBy(3).toNanos();
            }
            List<Integer> owned = leases.owned();
            if (owned.isEmpty()) {
                return 0;
            }
            List<Row> rows = readBatch(owned);
            if (rows.isEmpty()) {
                consecutiveFailures.set(0);
                return 0;
            }
            return publishAndRemove(rows);
        }
    }

    /** Failed passes in a row (0 after a good one): the back-off's exponent. */
    public int consecutiveFailures() {
        return consecutiveFailures.get();
    }

    /** How many messages wait in the outbox (every partition, every relay's). */
    public long pending() throws SQLException {
        return pendingStats().count;
    }

    /** How long the oldest waiting message has waited (by the senders' clocks), or empty if none waits. */
    public Optional<Duration> oldestPendingAge() throws SQLException {
        Stats s = pendingStats();
        return s.count == 0 ? Optional.empty()
                : Optional.of(Duration.ofMillis(Math.max(0, System.currentTimeMillis() - s.oldestMillis)));
    }

    /** How many messages were parked in {@code <table>_dead} after {@code maxAttempts} refusals. */
    public long deadCount() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            OutboxSql s = sql(c);
            try (PreparedStatement ps = c.prepareStatement(s.deadCount()); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private record Stats(long count, long oldestMillis) {
    }

    private Stats pendingStats() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            OutboxSql s = sql(c);
            try (PreparedStatement ps = c.prepareStatement(s.pending()); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Stats(rs.getLong(1), rs.getLong(2));
            }
        }
    }

    private void run() {
        while (!closed.get()) {
            Duration wait;
            try {
                int done = relayOnce();
                wait = consecutiveFailures.get() > 0 ? backoff() : done >= batchSize ? Duration.ZERO : pollInterval;
            } catch (SQLException | RuntimeException e) {
                if (closed.get()) {
                    return;
                }
                consecutiveFailures.incrementAndGet();
                wait = backoff();
                LOG.warn("Relay {} of {}: pass failed ({}); next try in {} ms", relayId, table, e.getMessage(),
                        wait.toMillis());
            }
            pause(wait);
        }
    }

    /** Waits {@code wait}, or until {@link #close()} wakes the thread. */
    private void pause(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        for (long left = wait.toNanos(); left > 0 && !closed.get(); left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(this, left);
        }
    }

    /** {@code pollInterval × 2^(failures-1)}, capped at {@code maxBackoff}. */
    private Duration backoff() {
        int exponent = Math.min(20, Math.max(0, consecutiveFailures.get() - 1));
        Duration d = pollInterval.multipliedBy(1L << exponent);
        return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
    }

    private void prepare() throws SQLException {
        if (leases == null) {
            try (Connection c = dataSource.getConnection()) {
                sql(c);
            }
            // Whatever a batch may take (the publisher's confirm timeout) must fit before the lease ends:
            // trust a lease for two thirds of its length; it is renewed every third.
            leases = new PartitionLeases(dataSource, sql, relayId, partitions, lease, lease.dividedBy(3));
        }
    }

    private OutboxSql sql(Connection c) throws SQLException {
        OutboxSql s = sql;
        if (s == null) {
            s = OutboxSql.of(Dialect.of(c), table);
            sql = s;
        }
        return s;
    }

    /** One message as read, with its row position and attempts so far. */
    private record Row(long pos, int attempts, OutboxMessage message) {
    }

    private List<Row> readBatch(List<Integer> owned) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(sql.selectBatch(partitions, owned))) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            ps.setInt(1, batchSize);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    OutboxMessage m = new OutboxMessage(new MessageId(rs.getString(2)), rs.getString(3),
                            rs.getString(4), rs.getLong(5), rs.getBytes(6), HeaderCodec.decode(rs.getString(7)),
                            Instant.ofEpochMilli(rs.getLong(8)));
                    rows.add(new Row(rs.getLong(1), rs.getInt(9), m));
                }
            }
        }
        return rows;
    }

    /**
     * Leaves out the messages queued behind a message the broker refused before: they wait until it
     * is published or parked, so a key's order holds from the first refusal on.
     */
    private static List<Row> behindNoRefusal(List<Row> rows) {
        Set<String> blocked = new HashSet<>();
        List<Row> kept = new ArrayList<>(rows.size());
        for (Row r : rows) {
            if (blocked.contains(r.message().key())) {
                continue;
            }
            if (r.attempts() > 0) {
                blocked.add(r.message().key());
            }
            kept.add(r);
        }
        return kept;
    }

    private int publishAndRemove(List<Row> read) throws SQLException {
        List<Row> rows = behindNoRefusal(read);
        List<OutboxMessage> batch = rows.stream().map(Row::message).toList();
        Set<MessageId> confirmed;
        Map<MessageId, String> refused = Map.of();
        PublishException failure = null;
        try {
            publisher.publish(batch);
            Set<MessageId> all = new HashSet<>();
            batch.forEach(m -> all.add(m.id()));
            confirmed = all;
        } catch (PublishException e) {
            failure = e;
            confirmed = e.confirmed();
            refused = e.refused();
        } catch (RuntimeException e) {
            failure = PublishException.transientFailure(String.valueOf(e.getMessage()), e);
            confirmed = Set.of();
        }
        List<Long> done = new ArrayList<>();
        for (Row r : rows) {
            if (confirmed.contains(r.message().id())) {
                done.add(r.pos());
            }
        }
        delete(done);
        if (failure != null) {
            consecutiveFailures.incrementAndGet();
            LOG.warn("Relay {} of {}: {} of {} messages not confirmed ({}); they stay in the outbox", relayId, table,
                    rows.size() - done.size(), rows.size(), failure.getMessage());
            recordRefusals(rows, refused);
        } else {
            consecutiveFailures.set(0);
        }
        return done.size();
    }

    private void delete(List<Long> positions) throws SQLException {
        if (positions.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(sql.deleteByPos(positions.size()))) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            for (int i = 0; i < positions.size(); i++) {
                ps.setLong(i + 1, positions.get(i));
            }
            ps.executeUpdate();
        }
    }

    /** Counts each refusal; a message refused {@code maxAttempts} times moves to the dead-letter table. */
    private void recordRefusals(List<Row> rows, Map<MessageId, String> refused) throws SQLException {
        if (refused.isEmpty()) {
            return;
        }
        Map<Long, Row> byPos = new LinkedHashMap<>();
        rows.stream().filter(r -> refused.containsKey(r.message().id())).forEach(r -> byPos.put(r.pos(), r));
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                for (Row r : byPos.values()) {
                    String error = truncate(refused.get(r.message().id()));
                    try (PreparedStatement ps = c.prepareStatement(sql.recordRefusal())) {
                        ps.setString(1, error);
                        ps.setLong(2, r.pos());
                        ps.executeUpdate();
                    }
                    if (r.attempts() + 1 >= maxAttempts) {
                        try (PreparedStatement copy = c.prepareStatement(sql.copyToDead());
                             PreparedStatement del = c.prepareStatement(sql.deleteOne())) {
                            copy.setLong(1, System.currentTimeMillis());
                            copy.setLong(2, r.pos());
                            copy.executeUpdate();
                            del.setLong(1, r.pos());
                            del.executeUpdate();
                        }
                        LOG.error("Relay {} of {}: message {} (key {} #{}, to {}) was refused {} times and is parked in"
                                + " {}: {}", relayId, table, r.message().id(), r.message().key(), r.message().keySeq(),
                                r.message().destination(), maxAttempts, sql.dead, error);
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private static String truncate(String error) {
        String e = error == null ? "refused" : error;
        return e.length() <= OutboxSql.MAX_ERROR_LENGTH ? e : e.substring(0, OutboxSql.MAX_ERROR_LENGTH);
    }

    /** Settings, validated at {@link #build()}. */
    public static final class Builder {
        private final DataSource dataSource;
        private final MessagePublisher publisher;
        private String table = "qtx_outbox";
        private String relayId = "relay-" + UUID.randomUUID().toString().substring(0, 8);
        private int batchSize = 100;
        private Duration pollInterval = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private int partitions = 16;
        private Duration lease = Duration.ofSeconds(30);
        private int maxAttempts = 20;

        private Builder(DataSource dataSource, MessagePublisher publisher) {
            this.dataSource = dataSource;
            this.publisher = publisher;
        }

        /** The outbox table, as given to {@link Outbox.Builder#table} (default {@code qtx_outbox}). */
        public Builder table(String table) {
            this.table = table;
            return this;
        }

        /** This relay's id in the lease table, unique per relay (default: random); 1 to 200 characters. */
        public Builder relayId(String relayId) {
            this.relayId = relayId;
            return this;
        }

        /** Messages per publication (default 100), 1 to 10,000. */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** The pause after a pass that found less than a full batch (default 100 ms); the back-off's base. */
        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = pollInterval;
            return this;
        }

        /** The longest pause between tries while the broker or database fails (default 30 s). */
        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
            return this;
        }

        /** Partitions of keys shared among relays (default 16), 1 to 1024; the same for every relay of a table. */
        public Builder partitions(int partitions) {
            this.partitions = partitions;
            return this;
        }

        /**
         * How long a relay's partitions stay its own without renewal (default 30 s): a dead relay's
         * messages wait this long before another relay publishes them. Renewed every third of it; a
         * publication must finish within a third of it (set the publisher's confirm timeout below).
         */
        public Builder lease(Duration lease) {
            this.lease = lease;
            return this;
        }

        /** Refusals by the broker after which a message is parked as dead (default 20), at least 1. */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public OutboxRelay build() {
            Objects.requireNonNull(dataSource, "the relay's DataSource must not be null (a plain, not enlisted, one)");
            Objects.requireNonNull(publisher, "the relay's MessagePublisher must not be null");
            table = OutboxSql.validTable("Outbox", table);
            Outbox.checkText("relayId", relayId, 200);
            range("batchSize", batchSize, 1, 10_000);
            range("partitions", partitions, 1, 1024);
            range("maxAttempts", maxAttempts, 1, Integer.MAX_VALUE);
            positive("pollInterval", pollInterval);
            positive("maxBackoff", maxBackoff);
            if (lease == null || lease.compareTo(Duration.ofMillis(300)) < 0) {
                throw new IllegalArgumentException("lease must be at least 300 ms, was " + lease);
            }
            if (maxBackoff.compareTo(pollInterval) < 0) {
                throw new IllegalArgumentException("maxBackoff (" + maxBackoff + ") must not be below pollInterval ("
                        + pollInterval + ")");
            }
            return new OutboxRelay(this);
        }

        private static void range(String what, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(what + " must be " + min + " to " + max + ", was " + value);
            }
        }

        private static void positive(String what, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, was " + d);
            }
        }
    }
}
