package io.quorumtx.tm.paxos;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Learns a transaction's chosen value by reading acceptors without changing them: a value is
 * chosen when a majority report it accepted at one ballot, or when one reports the instance
 * finished. If every reachable acceptor answered and neither holds, the value is not known from
 * reading alone: only a takeover ({@link Proposal#takeover}) can settle it. Pure state machine;
 * not thread-safe.
 */
public final class Learner {
    private final String gtrid;
    private final Set<String> acceptors;
    private final int quorum;
    private final Set<String> answered = new HashSet<>();
    private final Map<Ballot, Set<String>> acceptedAt = new HashMap<>();
    private final Set<String> expired = new HashSet<>();
    private Ballot highestSeen;
    private PaxosValue chosen;
    private boolean finished;

    public Learner(String gtrid, Set<String> acceptors) {
        this.gtrid = Objects.requireNonNull(gtrid, "gtrid");
        this.acceptors = Set.copyOf(acceptors);
        this.quorum = this.acceptors.size() / 2 + 1;
    }

    public PaxosRequest request() {
        return new PaxosRequest.Read(gtrid);
    }

    public void onReply(String acceptor, PaxosReply reply) {
        if (chosen != null || !acceptors.contains(acceptor) || !reply.gtrid().equals(gtrid)) {
            return;
        }
        answered.add(acceptor);
        if (reply.finished()) {
            chosen = reply.accepted();
            finished = true;
            return;
        }
        if (reply.kind() == PaxosReply.Kind.EXPIRED) {
            expired.add(acceptor);
            return;
        }
        see(reply.promised());
        Ballot b = reply.acceptedBallot();
        if (b != null) {
            see(b);
            Set<String> at = acceptedAt.computeIfAbsent(b, k -> new HashSet<>());
            at.add(acceptor);
            if (at.size() >= quorum) {
                chosen = reply.accepted();
            }
        }
    }

    /** The chosen value if reading showed it, else null. */
    public PaxosValue chosen() {
        return chosen;
    }

    /** True if an acceptor answered that the instance is finished (its value is {@link #chosen}). */
    public boolean finished() {
        return finished;
    }

    /**
     * True if a majority answered that the instance began before the horizon and they hold
     * nothing of it: nothing can be chosen any more (see {@link AcceptorState}).
     */
    public boolean expired() {
        return chosen == null && expired.size() >= quorum;
    }

    /** Acceptors that answered so far. */
    public Set<String> answered() {
        return Set.copyOf(answered);
    }

    /** The highest ballot any answer named (a takeover starts above it), or null. */
    public Ballot highestSeen() {
        return highestSeen;
    }

    private void see(Ballot b) {
        if (b != null && b.isAbove(highestSeen)) {
            highestSeen = b;
        }
    }
}
