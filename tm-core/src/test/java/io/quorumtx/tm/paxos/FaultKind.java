package io.quorumtx.tm.paxos;

import java.util.EnumSet;
import java.util.Set;

/** The faults the simulation's {@link Nemesis} can inject; a run is given a set of them. */
enum FaultKind {
    /** A message is lost. */
    DROP,
    /** A message in flight is delivered twice. */
    DUPLICATE,
    /** A message sent long before (a request or a reply) is delivered again. */
    REPLAY,
    /** An acceptor's process dies and later restarts from its disk. */
    CRASH,
    /** An acceptor dies in the middle of a write: a prefix of the frame is on disk, nothing was answered. */
    TORN_WRITE,
    /**
     * At most F of the 2F+1 acceptors lose their disk (a replaced volume) and restart with an
     * empty one through {@link StartMode#REJOIN} (a fence record first).
     */
    EMPTY_DISK,
    /**
     * A node's proposers stop for longer than the lease (GC, SIGSTOP, a VM freeze) with messages
     * in their outbox, the others take over its transactions, then it resumes where it was.
     */
    PAUSE,
    /**
     * A node's wall clock steps forward or back, within the clock-skew margin; with it the
     * tombstone retention (the horizon) is short enough that tombstones expire, and transactions
     * pass the horizon, within a run.
     */
    CLOCK_STEP;

    /** Every fault. */
    static Set<FaultKind> all() {
        return EnumSet.allOf(FaultKind.class);
    }
}
