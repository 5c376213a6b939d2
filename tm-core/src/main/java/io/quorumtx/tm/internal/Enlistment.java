package io.quorumtx.tm.internal;

import io.quorumtx.tm.protocol.Participant;
import javax.transaction.xa.XAResource;

/**
 * One XAResource object enlisted in a transaction. Several enlistments share a branch when the
 * resources report {@code isSameRM} (TMJOIN); only the {@link #primary} one takes part in the
 * commit protocol, but every one must be ended. {@link #association} is guarded by the owning
 * transaction's monitor until completion takes the transaction over (with nothing in flight);
 * from then on only the completing thread touches it. XA calls are made outside the monitor.
 */
final class Enlistment {
    /** XAResource.start is in flight (counted by {@link Enlistments}); completion waits for it. */
    static final int STARTING = 0;
    static final int ACTIVE = 1;
    /** Delisted with TMSUSPEND: may be resumed, must be ended before prepare. */
    static final int SUSPENDED = 2;
    static final int ENDED = 3;
    /** Ended with TMFAIL, or rolled back by the resource. */
    static final int FAILED = 4;

    final XAResource resource;
    final Participant branch;
    final boolean primary;
    int association = STARTING;

    Enlistment(XAResource resource, Participant branch, boolean primary) {
        this.resource = resource;
        this.branch = branch;
        this.primary = primary;
    }

    boolean needsEnd() {
        return association == ACTIVE || association == SUSPENDED;
    }
}
