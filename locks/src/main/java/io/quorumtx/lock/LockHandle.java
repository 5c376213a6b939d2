package io.quorumtx.lock;

/**
 * A held lock: its name and fencing token. {@link #close()} releases it (once per handle; a
 * reentrant acquire gives another handle, and the lock is free only when every handle is
 * closed). Pass {@link #token()} to the storage you write under the lock and have it reject
 * writes with a lower token than it has seen: that, not the lease, is what stops a holder that
 * stalled past its lease.
 */
public interface LockHandle extends AutoCloseable {

    String name();

    /** The fencing token of this grant; every later grant of this lock has a higher one. */
    long token();

    /**
     * Extends the lease by the lock's lease length, by the database's clock.
     *
     * @throws LockLostException if the lease had already ended (another owner may hold it)
     */
    void renew();

    /** True while the database still shows this grant with a live lease (asks the database). */
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
