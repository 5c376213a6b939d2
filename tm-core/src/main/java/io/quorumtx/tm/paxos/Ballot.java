package io.quorumtx.tm.paxos;

import java.util.Objects;

/**
 * A Paxos ballot {@code (round, nodeId)}, ordered by round and then by node id, so two proposers
 * never share one. Round 0 of a transaction belongs to its coordinator alone (the node named in
 * its gtrid): it proposes exactly one value there and may skip phase 1, because no lower ballot
 * exists. Every other proposal uses a round of at least 1 and runs phase 1.
 */
record Ballot(long round, String nodeId) implements Comparable<Ballot> {

    /**
     * The highest round an acceptor takes part in (2^40). Honest proposers raise the round by one
     * per takeover attempt and never come near it; a higher round can only come from a buggy or
     * hostile member, and accepting it would let {@link #above} overflow and wedge the instance.
     */
    public static final long MAX_ROUND = 1L << 40;

    public Ballot {
        Objects.requireNonNull(nodeId, "nodeId");
        if (round < 0) {
            throw new IllegalArgumentException("a ballot round is never negative, was " + round);
        }
    }

    /** The coordinator's own ballot for a transaction it owns. */
    public static Ballot coordinator(String owner) {
        return new Ballot(0, owner);
    }

    /** The smallest ballot of {@code nodeId} above {@code seen} (or above round 0 if none was seen). */
    public static Ballot above(Ballot seen, String nodeId) {
        long round = seen == null ? 0 : seen.round;
        return new Ballot(round + 1, nodeId);
    }

    @Override
    public int compareTo(Ballot o) {
        int c = Long.compare(round, o.round);
        return c != 0 ? c : nodeId.compareTo(o.nodeId);
    }

    /** True if this ballot is above {@code other}, or {@code other} is null (nothing promised yet). */
    public boolean isAbove(Ballot other) {
        return other == null || compareTo(other) > 0;
    }

    /** True if this ballot is at least {@code other}, or {@code other} is null. */
    public boolean isAtLeast(Ballot other) {
        return other == null || compareTo(other) >= 0;
    }

    @Override
    public String toString() {
        return "(" + round + "," + nodeId + ")";
    }
}
