package io.quorumtx.tm.paxos;

import java.util.Objects;

/**
 * What an acceptor makes durable before it answers: a promise, an accepted value, or that the
 * instance is finished (its tombstone). Replaying them in order rebuilds the acceptor's state.
 */
sealed interface AcceptorRecord {

    String gtrid();

    record Promised(String gtrid, Ballot ballot) implements AcceptorRecord {
        public Promised {
            Objects.requireNonNull(gtrid, "gtrid");
            Objects.requireNonNull(ballot, "ballot");
        }
    }

    record Accepted(String gtrid, Ballot ballot, PaxosValue value) implements AcceptorRecord {
        public Accepted {
            Objects.requireNonNull(gtrid, "gtrid");
            Objects.requireNonNull(ballot, "ballot");
            Objects.requireNonNull(value, "value");
        }
    }

    record BranchDone(String gtrid, io.quorumtx.tm.log.BranchRecord branch) implements AcceptorRecord {
        public BranchDone {
            Objects.requireNonNull(gtrid, "gtrid");
            Objects.requireNonNull(branch, "branch");
        }
    }

    /** The tombstone: the instance is finished with {@code value}; kept until {@code finishedAtMillis} + retention. */
    record Finished(String gtrid, PaxosValue value, long finishedAtMillis) implements AcceptorRecord {
        public Finished {
            Objects.requireNonNull(gtrid, "gtrid");
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * This acceptor's directory was recreated after its disk was lost ({@link StartMode#REJOIN}) at
     * {@code rejoinedAtMillis}: it never votes in an instance it holds nothing of whose transaction
     * began before {@code fenceMillis} (the rejoin time plus the clock-skew margin), since it may
     * have voted in it before. Not about one instance: {@link #gtrid()} is empty.
     */
    record Rejoined(long rejoinedAtMillis, long fenceMillis) implements AcceptorRecord {
        @Override
        public String gtrid() {
            return "";
        }
    }
}
