package io.quorumtx.lock;

/**
 * The lock is no longer held: its lease ended (by the database's clock) before it was renewed,
 * and another owner may hold it now with a higher fencing token. Work done under the old token
 * must be fenced by that token where it is stored.
 */
public class LockLostException extends IllegalStateException {
    public LockLostException(String message) {
        super(message);
    }
}
