package io.quorumtx.tm.paxos;

import io.quorumtx.tm.xid.QuorumXid;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One proposer's attempt to get a value chosen for one transaction, as a pure state machine
 * driven by its caller: {@link #start} and {@link #retry} give the requests to send to every
 * acceptor, {@link #onReply} takes each answer and may give the next phase's requests. No I/O,
 * no clock, no threads; not thread-safe.
 *
 * <p>The coordinator starts at its round-0 ballot with phase 2 at once ({@link #coordinator});
 * anyone else, and the coordinator after a rejection, runs phase 1 at a ballot above every
 * ballot it has seen: if a promise carries an accepted value, the one with the highest ballot
 * is proposed, else the proposal's own candidate (COMMIT for the coordinator, ABORT for a
 * takeover). A value is chosen when a majority of acceptors accepted it at one ballot; a
 * FINISHED answer carries a value that was chosen before, and ends the proposal too. A majority
 * of EXPIRED answers (acceptors that hold nothing of a transaction older than the horizon and
 * will never create it, see {@link AcceptorState}) ends it as well: nothing can be chosen any
 * more, so its outcome is the presumed ABORT ({@link #isExpired}). A FENCED answer (a rejoined
 * acceptor) is a plain refusal: the others decide.
 *
 * <p><b>Proposer ids.</b> A ballot must never be used for two different values, so every
 * proposal's ballots (above round 0) carry a proposer id unique to it: the node id, the
 * incarnation of its process, and a counter of proposals in that process (the simulation found
 * the violation two proposals of one node sharing {@code (1, node)} cause). Round 0 is the
 * coordinator's, named by the node id in the gtrid, and used by one proposal only.
 */
final class Proposal {

    private enum Phase { PREPARE, ACCEPT, CHOSEN }

    private final String gtrid;
    private final String self;
    private final Set<String> acceptors;
    private final int quorum;
    private final PaxosValue candidate;

    private Ballot ballot;
    private Phase phase;
    private PaxosValue proposing;
    private Ballot highestSeen;
    private PaxosValue chosen;
    private final Map<String, PaxosReply> promises = new HashMap<>();
    private final Set<String> accepted = new HashSet<>();
    private final Set<String> refused = new HashSet<>();
    private final Set<String> expired = new HashSet<>();
    private boolean expiredOutcome;

    private Proposal(String gtrid, String self, Set<String> acceptors, PaxosValue candidate) {
        this.gtrid = Objects.requireNonNull(gtrid, "gtrid");
        this.self = Objects.requireNonNull(self, "self");
        this.acceptors = Set.copyOf(acceptors);
        if (this.acceptors.isEmpty()) {
            throw new IllegalArgumentException("a proposal needs at least one acceptor");
        }
        this.quorum = this.acceptors.size() / 2 + 1;
        this.candidate = Objects.requireNonNull(candidate, "candidate");
    }

    /**
     * The coordinator of {@code commit.gtrid()} proposing COMMIT at its round 0 (no phase 1);
     * {@code self} is this proposal's unique proposer id for any later round.
     */
    public static Proposal coordinator(String self, Set<String> acceptors, PaxosValue commit) {
        if (!commit.isCommit()) {
            throw new IllegalArgumentException("the coordinator proposes COMMIT at round 0");
        }
        return new Proposal(commit.commit().gtrid(), self, acceptors, commit);
    }

    /**
     * A takeover of {@code gtrid} by proposer {@code self} (unique to this proposal, see the class
     * comment): phase 1 at a round above {@code seen} (null if
     * nothing is known); proposes ABORT unless an accepted value must be carried on.
     */
    public static Proposal takeover(String gtrid, String self, Set<String> acceptors, Ballot seen) {
        Proposal p = new Proposal(gtrid, self, acceptors, PaxosValue.abort());
        p.highestSeen = seen;
        return p;
    }

    /** The first requests: round-0 accepts for a coordinator, prepares for a takeover. */
    public List<PaxosRequest> start() {
        if (candidate.isCommit() && highestSeen == null) {
            ballot = Ballot.coordinator(QuorumXid.ownerNodeId(gtrid));
            return accept(candidate);
        }
        return retry();
    }

    /** A fresh attempt at a ballot above every ballot seen: phase 1 to every acceptor. */
    public List<PaxosRequest> retry() {
        if (phase == Phase.CHOSEN) {
            return List.of();
        }
        Ballot base = highestSeen;
        if (ballot != null && ballot.isAbove(base)) {
            base = ballot;
        }
        ballot = Ballot.above(base, self);
        phase = Phase.PREPARE;
        proposing = null;
        promises.clear();
        accepted.clear();
        refused.clear();
        PaxosRequest prepare = new PaxosRequest.Prepare(gtrid, ballot);
        return List.of(prepare);
    }

    /**
     * Takes one acceptor's answer. Returns the requests to send to every acceptor next (phase 2
     * after a quorum of promises), or none.
     */
    public List<PaxosRequest> onReply(String acceptor, PaxosReply reply) {
        if (phase == Phase.CHOSEN || !acceptors.contains(acceptor) || !reply.gtrid().equals(gtrid)) {
            return List.of();
        }
        if (reply.finished()) {
            choose(reply.accepted());
            return List.of();
        }
        if (reply.kind() == PaxosReply.Kind.EXPIRED) {
            expired.add(acceptor); // holds nothing and never will: no ballot changes that
            if (expired.size() >= quorum) {
                expiredOutcome = true; // no majority can ever accept anything: presumed abort
                choose(PaxosValue.abort());
                return List.of();
            }
        }
        see(reply.promised());
        see(reply.acceptedBallot());
        if (!ballot.equals(reply.ballot())) {
            return List.of(); // an answer to an earlier attempt
        }
        if (!reply.ok()) {
            refused.add(acceptor);
            return List.of();
        }
        if (phase == Phase.PREPARE && reply.kind() == PaxosReply.Kind.PROMISE) {
            promises.put(acceptor, reply);
            if (promises.size() >= quorum) {
                return accept(valueToPropose());
            }
        } else if (phase == Phase.ACCEPT && reply.kind() == PaxosReply.Kind.ACCEPTED) {
            accepted.add(acceptor);
            if (accepted.size() >= quorum) {
                choose(proposing);
            }
        }
        return List.of();
    }

    public boolean isChosen() {
        return phase == Phase.CHOSEN;
    }

    /**
     * True if the proposal ended because a majority of acceptors answered EXPIRED: the
     * transaction began before the horizon and they hold nothing of it, so nothing can be chosen
     * any more; {@link #chosen} is then ABORT, the presumed outcome, though no acceptor holds it.
     */
    public boolean isExpired() {
        return expiredOutcome;
    }

    /** The chosen value, or null while none is known. */
    public PaxosValue chosen() {
        return chosen;
    }

    /** True when enough acceptors refused the current ballot that it cannot succeed: {@link #retry} it. */
    public boolean isRejected() {
        return phase != Phase.CHOSEN && refused.size() > acceptors.size() - quorum;
    }

    public Ballot ballot() {
        return ballot;
    }

    /** The acceptors that accepted the chosen value at this proposal's ballot (empty if it learned it otherwise). */
    public Set<String> acceptedBy() {
        return Set.copyOf(accepted);
    }

    /** The highest ballot any answer named, or null. */
    public Ballot highestSeen() {
        return highestSeen;
    }

    public String gtrid() {
        return gtrid;
    }

    private List<PaxosRequest> accept(PaxosValue value) {
        phase = Phase.ACCEPT;
        proposing = value;
        accepted.clear();
        refused.clear();
        return List.of(new PaxosRequest.Accept(gtrid, ballot, value));
    }

    private PaxosValue valueToPropose() {
        Ballot best = null;
        PaxosValue value = candidate;
        for (PaxosReply promise : promises.values()) {
            if (promise.acceptedBallot() != null && promise.acceptedBallot().isAbove(best)) {
                best = promise.acceptedBallot();
                value = promise.accepted();
            }
        }
        return value;
    }

    private void choose(PaxosValue value) {
        chosen = value;
        phase = Phase.CHOSEN;
    }

    private void see(Ballot b) {
        if (b != null && b.isAbove(highestSeen)) {
            highestSeen = b;
        }
    }
}
