package io.quorumtx.tm.paxos;

import java.util.Objects;

/** What a proposer or learner asks an acceptor about one transaction's instance. */
sealed interface PaxosRequest {

    String gtrid();

    /** Phase 1a: promise to accept nothing below {@code ballot}, and say what you accepted. */
    record Prepare(String gtrid, Ballot ballot) implements PaxosRequest {
        public Prepare {
            Objects.requireNonNull(gtrid, "gtrid");
            Objects.requireNonNull(ballot, "ballot");
        }
    }

    /** Phase 2a: accept {@code value} at {@code ballot} unless a higher ballot was promised. */
    record Accept(String gtrid, Ballot ballot, PaxosValue value) implements PaxosRequest {
        public Accept {
            Objects.requireNonNull(gtrid, "gtrid");
            Objects.requireNonNull(ballot, "ballot");
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * The transaction is finished (every branch has its outcome): keep only a tombstone with the
     * chosen {@code value}. Sent only by a node that learned {@code value} chosen. A lazy finish
     * (the commit path's END) is written but not forced on its own: it rides with the next force,
     * as the local log's END does; a forced one (recovery's) is durable before it is answered.
     */
    record Finish(String gtrid, PaxosValue value, boolean forced) implements PaxosRequest {
        public Finish {
            Objects.requireNonNull(gtrid, "gtrid");
            Objects.requireNonNull(value, "value");
        }

        /** A FINISH written but not forced on its own (the commit path's END, a decided ABORT). */
        public static Finish lazy(String gtrid, PaxosValue value) {
            return new Finish(gtrid, value, false);
        }

        /** A FINISH durable before it is answered (recovery's END). */
        public static Finish forced(String gtrid, PaxosValue value) {
            return new Finish(gtrid, value, true);
        }
    }

    /**
     * One branch of the chosen COMMIT is finished (the impostor guard, see
     * {@code CommitLog#logBranchDone}); kept with the instance for as long as it is, tombstone included.
     */
    record BranchDone(String gtrid, io.quorumtx.tm.log.BranchRecord branch) implements PaxosRequest {
        public BranchDone {
            Objects.requireNonNull(gtrid, "gtrid");
            Objects.requireNonNull(branch, "branch");
        }
    }

    /** What have you promised and accepted? Changes nothing (learners, the recovery tool). */
    record Read(String gtrid) implements PaxosRequest {
        public Read {
            Objects.requireNonNull(gtrid, "gtrid");
        }
    }
}
