package io.quorumtx.lock;

/**
 * Told what a {@link DatabaseLockService} does with its locks, for metrics
 * ({@code quorumtx-micrometer} counts grants, waits and losses). Register it with
 * {@link DatabaseLockService#addListener} or the builder's {@code listener}.
 *
 * <p>Calls come on the thread that acquired the lock, or the watchdog's thread for a loss found
 * while renewing; they must return quickly. An exception a listener throws is caught and logged
 * once per listener; it never changes what the service does. The lock name is passed for
 * logging; a metrics listener should not turn it into a tag (names are unbounded).
 */
public interface LockListener {

    /**
     * The database granted {@code name} to this service (reentrant acquires are not grants);
     * {@code waitedNanos} is the time since the acquire call.
     */
    default void granted(String name, long waitedNanos) {
    }

    /**
     * An acquire of {@code name} found it held (by another owner, or another thread of this
     * service): it waits, or gives up at once if it may not wait. Once per acquire.
     */
    default void waiting(String name) {
    }

    /** An acquire of {@code name} gave up: its wait ran out before the lock was granted. */
    default void gaveUp(String name) {
    }

    /**
     * A lock this service held was lost: its lease ended (by the database's clock) before the
     * watchdog or the owner renewed it, or it was broken, so another owner may hold it now.
     */
    default void lost(String name) {
    }
}
