package io.quorumtx.lock;

/**
 * One loss told to {@link LockListener#onLost}: the lock, its holder and the token of the lost
 * grant, why, and how long the grant was still certainly valid when the loss was decided (by the
 * holder's monotonic clock; zero or less if the database had already ended the lease).
 */
public record LockLoss(String name, String owner, long token, String reason, long validForNanos) {
}
