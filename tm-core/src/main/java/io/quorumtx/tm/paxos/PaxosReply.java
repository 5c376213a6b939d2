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
public record PaxosReply(Kind kind, String gtrid, Ballot ballot, boolean ok, Ballot promised, Ballot acceptedBallot,
                         PaxosValue accepted, boolean finished, List<BranchRecord> done) {

    public enum Kind { PROMISE, ACCEPTED, FINISHED, STATE, BRANCH_DONE }

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
