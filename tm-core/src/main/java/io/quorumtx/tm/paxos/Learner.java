package io.quorumtx.tm.paxos;

import io.quorumtx.tm.log.BranchRecord;
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
 *
 * <p>It also learns which branches of the instance are finished ({@link #doneBranches}): a
 * BRANCH_DONE is forced to a majority before it counts, and any two majorities intersect, so once
 * a majority answered ({@link #heardFromMajority}), a branch none of them reports finished was
 * never recorded finished (or its instance's tombstone expired everywhere it was kept).
 */
final class Learner {
    private final String gtrid;
    private final Set<String> acceptors;
    private final int quorum;
    private final Set<String> answered = new HashSet<>();
    private final Map<Ballot, Set<String>> acceptedAt = new HashMap<>();
    private final Set<String> expired = new HashSet<>();
    private final Set<BranchRecord> done = new HashSet<>();
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
        if (!acceptors.contains(acceptor) || !reply.gtrid().equals(gtrid)) {
            return;
        }
        answered.add(acceptor);
        done.addAll(reply.done()); // from every answer: the first one to show the chosen value may lack them
        if (chosen != null) {
            return;
        }
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

    /** True if an acceptor answered that the instance is finished (a tombstone: its END was written; its value is {@link #chosen}). */
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

    /** The branches any answer reported finished (BRANCH_DONE); complete once {@link #heardFromMajority}. */
    public Set<BranchRecord> doneBranches() {
        return Set.copyOf(done);
    }

    /** True once a majority of the acceptors answered. */
    public boolean heardFromMajority() {
        return answered.size() >= quorum;
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
