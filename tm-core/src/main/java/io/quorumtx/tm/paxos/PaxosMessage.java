package io.quorumtx.tm.paxos;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What travels between nodes: a batch of instance requests and the batch of replies, lease
 * renewals and lease queries, the list of accepted instances a restarting coordinator asks for,
 * and an error. Every request message gets exactly one reply message.
 */
sealed interface PaxosMessage {

    /** Many instances' requests in one message (and one force at the acceptor). */
    record Requests(List<PaxosRequest> requests) implements PaxosMessage {
        public Requests {
            requests = List.copyOf(requests);
        }
    }

    /** The replies to a {@link Requests}, in its order. */
    record Replies(List<PaxosReply> replies) implements PaxosMessage {
        public Replies {
            replies = List.copyOf(replies);
        }
    }

    /** Node {@code nodeId} is alive: the acceptor restarts its lease timer (its own monotonic clock). */
    record Renew(String nodeId) implements PaxosMessage {
        public Renew {
            Objects.requireNonNull(nodeId, "nodeId");
        }
    }

    /** How long since each member last renewed, by this acceptor's clock? */
    record LeaseQuery() implements PaxosMessage {
    }

    /**
     * Milliseconds since each member's last renewal as measured by the answering acceptor (since
     * the acceptor started, for a member it has not heard from since), and the acceptor's rejoin
     * fence if it rejoined after losing its disk (both times 0 if not).
     */
    record LeaseReport(Map<String, Long> millisSinceRenewal, long rejoinedAtMillis, long fenceMillis)
            implements PaxosMessage {
        public LeaseReport {
            millisSinceRenewal = Map.copyOf(millisSinceRenewal);
        }

        /** A report of an acceptor that never rejoined. */
        public LeaseReport(Map<String, Long> millisSinceRenewal) {
            this(millisSinceRenewal, 0, 0);
        }

        /** True if the answering acceptor rejoined after losing its disk (its fence is then {@link #fenceMillis}). */
        public boolean rejoined() {
            return rejoinedAtMillis != 0;
        }
    }

    /** The instances of {@code owner}'s transactions that hold an accepted value and are not finished. */
    record ListAccepted(String owner) implements PaxosMessage {
        public ListAccepted {
            Objects.requireNonNull(owner, "owner");
        }
    }

    /** The gtrids {@link ListAccepted} asked for. */
    record AcceptedList(List<String> gtrids) implements PaxosMessage {
        public AcceptedList {
            gtrids = List.copyOf(gtrids);
        }
    }

    /** Acknowledges a {@link Renew}. */
    record Ack() implements PaxosMessage {
    }

    /** The request was refused (the text says why: overloaded, stopped, member lists differ). */
    @SuppressWarnings("JavaLangClash") // the wire message's name; always written PaxosMessage.Error outside this type
    record Error(String message) implements PaxosMessage {
        public Error {
            Objects.requireNonNull(message, "message");
        }
    }
}
