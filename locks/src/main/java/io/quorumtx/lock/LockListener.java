package io.quorumtx.lock;

/**
 * Told what happens to the locks of a {@link DatabaseLockService}
 * ({@code Builder.listener(LockListener)}). Every method has an empty default, so a listener
 * implements only what it needs and later events can be added without breaking it.
 *
 * <p>Methods run on the service's watchdog threads: return quickly (hand long work to an executor
 * of your own). An exception thrown by a listener is logged and does not stop the others.
 */
public interface LockListener {

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
