package io.quorumtx.lock;

/**
 * A held lock: its name and fencing token. {@link #close()} releases it (once per handle; a
 * reentrant acquire gives another handle, and the lock is free only when every handle is
 * closed). Pass {@link #token()} to the storage you write under the lock and have it reject
 * writes with a lower token than it has seen: that, not the lease, is what stops a holder that
 * stalled past its lease ({@link LockFence} has the database of the protected data do that check).
 */
public interface LockHandle extends AutoCloseable {

    String name();

    /**
     * The fencing token of this grant; every later grant of this lock has a higher one.
     *
     * @throws LockLostException if the grant was lost (a renewal found its lease ended, or the
     *     watchdog could not renew it in time) or its certain validity ({@link #validUntilNanos()})
     *     has passed: work done from now on is not protected by the lock. After a normal
     *     {@link #close()} the token can still be read.
     */
    long token();

    /**
     * Until when, by {@link System#nanoTime()}, the lease is certainly still valid: the send time
     * of the statement that granted or last renewed it, plus the lease, less 1% for the database's
     * and this machine's clocks ticking at different rates. Moved on by every renewal. Before this
     * moment no other owner can be granted the lock (unless an operator breaks it).
     */
    long validUntilNanos();

    /**
     * Extends the lease by the lock's lease length, by the database's clock.
     *
     * @throws LockLostException if the lease had already ended (another owner may hold it)
     */
    void renew();

    /**
     * True while the grant is certainly valid by this process's clock and not lost, and the
     * database still shows it with a live lease (asks the database when the first two hold).
     */
    boolean isHeld();

    /**
     * Releases this handle; the lock is freed when the last reentrant handle is closed.
     * Closing a handle twice does nothing.
     *
     * @throws LockLostException if the lock was no longer held when it was to be freed (its lease
     *     ended and it may have been granted to another owner)
     */
    @Override
    void close();
}
