package io.quorumtx.lock;

import java.time.Instant;
import java.util.Optional;

/**
 * One lock as {@link DatabaseLockService#list()} shows it: its holder (empty if free), the token of
 * its last grant, when the lease ends and the database's now, both read in the same statement.
 */
public record LockInfo(String name, Optional<String> owner, long token, Optional<Instant> leaseUntil,
                       Instant databaseNow) {
    /** True if an owner holds it with a lease that has not ended by the database's clock. */
    public boolean held() {
        return owner.isPresent() && leaseUntil.isPresent() && !leaseUntil.get().isBefore(databaseNow);
    }
}
