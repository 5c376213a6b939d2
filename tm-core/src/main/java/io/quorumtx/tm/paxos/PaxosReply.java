package io.quorumtx.tm.paxos;

import io.quorumtx.tm.log.BranchRecord;
import java.util.List;
import java.util.Objects;

/**
 * An acceptor's answer about one instance, as of the moment it answered (and durable before it
 * was sent): whether the request was granted ({@code ok}), the highest ballot it has promised,
 * the ballot and value it accepted last (both null if none), and whether the instance is
 * finished (then {@code accepted} is its chosen value).
 *
 * @param ballot the ballot of the request this answers (null for a read or a finish)
 * @param done the branches recorded finished ({@link PaxosRequest.BranchDone}), kept in the
 *     tombstone after the instance is finished too
 */
record PaxosReply(Kind kind, String gtrid, Ballot ballot, boolean ok, Ballot promised, Ballot acceptedBallot,
                         PaxosValue accepted, boolean finished, List<BranchRecord> done) {

    /**
     * What the reply answers. {@code FENCED} and {@code EXPIRED} are refusals ({@code ok} false) of
     * an acceptor that holds nothing of the instance and must not create it: it rejoined after
     * its disk was lost and the transaction began before its fence, or the transaction began
     * before the horizon (see {@link AcceptorState}). Appended last: the wire carries the ordinal.
     */
    public enum Kind { PROMISE, ACCEPTED, FINISHED, STATE, BRANCH_DONE, FENCED, EXPIRED }

    public PaxosReply {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(gtrid, "gtrid");
        done = List.copyOf(done);
        if ((acceptedBallot == null) != (accepted == null) && !finished) {
            throw new IllegalArgumentException("an accepted value comes with its ballot");
        }
        if (finished && accepted == null) {
            throw new IllegalArgumentException("a finished instance carries its chosen value");
        }
    }
}
