package io.quorumtx.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.quorumtx.lock.DatabaseLockService;
import io.quorumtx.lock.LockListener;
import io.quorumtx.lock.LockLoss;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one {@link DatabaseLockService}: grants, waits, timeouts and losses, and how long
 * acquiring took. A binder of its own (not part of {@link QuorumTxMetrics}) so that the locks
 * module stays optional: an application without it never loads this class. Lock names are not
 * tags (they are unbounded): the meters carry only the extra tags given.
 */
public final class QuorumTxLockMetrics implements MeterBinder, AutoCloseable {

    public static final String GRANTS = "quorumtx.locks.grants";
    public static final String WAITS = "quorumtx.locks.waits";
    public static final String TIMEOUTS = "quorumtx.locks.timeouts";
    public static final String LOSSES = "quorumtx.locks.losses";
    public static final String ACQUIRE = "quorumtx.locks.acquire";

    private final DatabaseLockService locks;
    private final Tags tags;
    private final List<LockListener> listeners = new CopyOnWriteArrayList<>();

    public QuorumTxLockMetrics(DatabaseLockService locks) {
        this(locks, Tags.empty());
    }

    public QuorumTxLockMetrics(DatabaseLockService locks, Iterable<Tag> extraTags) {
        this.locks = Objects.requireNonNull(locks, "locks");
        this.tags = Tags.of(extraTags);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Counter grants = Counter.builder(GRANTS).tags(tags).baseUnit("grants")
                .description("Locks the database granted to this service (reentrant acquires excluded)")
                .register(registry);
        Counter waits = Counter.builder(WAITS).tags(tags).baseUnit("waits")
                .description("Acquires that found the lock held (they waited, or gave up at once)").register(registry);
        Counter timeouts = Counter.builder(TIMEOUTS).tags(tags).baseUnit("acquires")
                .description("Acquires whose wait ran out before the lock was granted").register(registry);
        Counter losses = Counter.builder(LOSSES).tags(tags).baseUnit("locks")
                .description("Held locks lost: the lease ended before it was renewed, or the lock was broken")
                .register(registry);
        Timer acquire = Timer.builder(ACQUIRE).tags(tags)
                .description("Time from an acquire call to its grant (waiting included)").register(registry);
        LockListener listener = new LockListener() {
            @Override
            public void granted(String name, long waitedNanos) {
                grants.increment();
                acquire.record(waitedNanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void waiting(String name) {
                waits.increment();
            }

            @Override
            public void gaveUp(String name) {
                timeouts.increment();
            }

            @Override
            public void onLost(LockLoss loss) {
                losses.increment();
            }

            @Override
            public String toString() {
                return "QuorumTxLockMetrics[" + locks.ownerId() + "]";
            }
        };
        locks.addListener(listener);
        listeners.add(listener);
    }

    /** Removes the listeners this binder registered; the meters stay registered. */
    @Override
    public void close() {
        for (LockListener l : listeners) {
            locks.removeListener(l);
        }
        listeners.clear();
    }
}
