package io.quorumtx.it.faults;

/** What a {@link LinkProxy} does to the bytes between two members. */
public enum LinkFault {
    /** Passes them. */
    NONE,
    /** Swallows them: the sender's requests time out. */
    DROP,
    /** Holds them and delivers them, late and in order, when the link heals. */
    STALL,
    /** Resets the connections and refuses new ones: the sender sees the peer unreachable. */
    CLOSE
}
