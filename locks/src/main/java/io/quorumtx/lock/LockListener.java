package io.quorumtx.lock;

/**
 * Told what happens to the locks of a {@link DatabaseLockService}: grants, waits and give-ups (for
 * metrics: {@code quorumtx-micrometer} counts them) and losses (for the holder, to stop writing).
 * Register it with {@link DatabaseLockService#addListener} or the builder's {@code listener}. Every
 * method has an empty default, so a listener implements only what it needs and later events can
 * be added without breaking it.
 *
 * <p>Calls come on the thread that acquired the lock, or on the service's watchdog threads for a
 * loss; they must return quickly (hand long work to an executor of your own). An exception a
 * listener throws is caught and logged once per listener; it never changes what the service does.
 * The lock name is passed for logging; a metrics listener should not turn it into a tag (names
 * are unbounded).
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
     * A held lock is lost, or can no longer be known to be held: its renewal was refused by the
     * database (the lease had ended), or it could not be renewed in time and its certain validity
     * is about to pass. For the second kind this is called <em>before</em> the lease can have
     * ended by the database's clock ({@link LockLoss#validForNanos()} is still positive), so the
     * holder can stop writing while no other owner can yet hold the lock. From this call on, the
     * handle's {@link LockHandle#token()} throws {@link LockLostException}.
     */
    default void onLost(LockLoss loss) {
    }
}
