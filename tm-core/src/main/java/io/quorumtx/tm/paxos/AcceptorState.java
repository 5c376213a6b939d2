package io.quorumtx.tm.paxos;

import io.quorumtx.tm.paxos.PaxosReply.Kind;
import io.quorumtx.tm.xid.QuorumXid;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * A Paxos acceptor's state for every instance it knows, as a pure state machine: {@link #handle}
 * answers one request and names the record that must be durable before the answer is sent;
 * {@link #replay} rebuilds the state from those records after a restart. Not thread-safe: the
 * acceptor owns it on one thread.
 *
 * <p>The rules, per instance (transaction gtrid):
 * <ul>
 *   <li>Prepare(b): granted if b is at least the highest promise (a duplicate is answered the
 *       same way twice); the answer carries the last accepted ballot and value. Round 0 is never
 *       prepared: it belongs to the coordinator, which skips phase 1.</li>
 *   <li>Accept(b, v): granted if b is at least the highest promise; round 0 only from the owner
 *       named in the gtrid. Accepting also promises b.</li>
 *   <li>Finish(v): the instance becomes a tombstone holding v; from then on every request is
 *       answered FINISHED with v and nothing changes. A finish is only sent for a chosen value,
 *       so a late takeover learns that value instead of choosing a second one.</li>
 * </ul>
 */
public final class AcceptorState {

    /** One instance: highest promise, last accepted ballot and value, and the tombstone flag. */
    public record Slot(Ballot promised, Ballot acceptedBallot, PaxosValue accepted, boolean finished,
                       long finishedAtMillis) {
    }

    /** An answer and the record to force before sending it (null: nothing changed). */
    public record Step(PaxosReply reply, AcceptorRecord record) {
    }

    private static final Slot EMPTY = new Slot(null, null, null, false, 0);

    private final Map<String, Slot> slots = new HashMap<>();

    public Step handle(PaxosRequest request, long nowMillis) {
        String gtrid = request.gtrid();
        Slot slot = slots.getOrDefault(gtrid, EMPTY);
        if (slot.finished()) {
            return new Step(finished(gtrid, ballotOf(request), slot), null);
        }
        if (request instanceof PaxosRequest.Prepare prepare) {
            Ballot b = prepare.ballot();
            if (b.round() == 0 || !b.isAtLeast(slot.promised())) {
                return new Step(reply(Kind.PROMISE, gtrid, b, false, slot), null);
            }
            if (b.equals(slot.promised())) {
                return new Step(reply(Kind.PROMISE, gtrid, b, true, slot), null); // a duplicate: same answer
            }
            Slot next = new Slot(b, slot.acceptedBallot(), slot.accepted(), false, 0);
            slots.put(gtrid, next);
            return new Step(reply(Kind.PROMISE, gtrid, b, true, next), new AcceptorRecord.Promised(gtrid, b));
        }
        if (request instanceof PaxosRequest.Accept accept) {
            Ballot b = accept.ballot();
            if (!b.isAtLeast(slot.promised()) || b.round() == 0 && !isOwner(gtrid, b.nodeId())) {
                return new Step(reply(Kind.ACCEPTED, gtrid, b, false, slot), null);
            }
            if (b.equals(slot.acceptedBallot())) {
                return new Step(reply(Kind.ACCEPTED, gtrid, b, true, slot), null); // a duplicate
            }
            Slot next = new Slot(b, b, accept.value(), false, 0);
            slots.put(gtrid, next);
            return new Step(reply(Kind.ACCEPTED, gtrid, b, true, next),
                    new AcceptorRecord.Accepted(gtrid, b, accept.value()));
        }
        if (request instanceof PaxosRequest.Finish finish) {
            Slot next = new Slot(slot.promised(), slot.acceptedBallot(), finish.value(), true, nowMillis);
            slots.put(gtrid, next);
            return new Step(finished(gtrid, null, next), new AcceptorRecord.Finished(gtrid, finish.value(), nowMillis));
        }
        return new Step(reply(Kind.STATE, gtrid, null, true, slot), null);
    }

    /** Applies a durable record read back from disk (in the order it was written). */
    public void replay(AcceptorRecord record) {
        String gtrid = record.gtrid();
        Slot slot = slots.getOrDefault(gtrid, EMPTY);
        if (slot.finished()) {
            return;
        }
        Slot next;
        if (record instanceof AcceptorRecord.Promised p) {
            next = new Slot(higher(slot.promised(), p.ballot()), slot.acceptedBallot(), slot.accepted(), false, 0);
        } else if (record instanceof AcceptorRecord.Accepted a) {
            next = new Slot(higher(slot.promised(), a.ballot()), a.ballot(), a.value(), false, 0);
        } else {
            AcceptorRecord.Finished f = (AcceptorRecord.Finished) record;
            next = new Slot(slot.promised(), slot.acceptedBallot(), f.value(), true, f.finishedAtMillis());
        }
        slots.put(gtrid, next);
    }

    /** The instance's state, or null if this acceptor has none. */
    public Slot slot(String gtrid) {
        return slots.get(gtrid);
    }

    /** Every instance known, by gtrid (a read-only view). */
    public Map<String, Slot> slots() {
        return Collections.unmodifiableMap(slots);
    }

    /** Forgets a tombstone whose retention has passed (never a live instance). */
    public boolean dropTombstone(String gtrid) {
        Slot slot = slots.get(gtrid);
        if (slot != null && slot.finished()) {
            slots.remove(gtrid);
            return true;
        }
        return false;
    }

    /**
     * The durable records that recreate the current state exactly (for compaction: a new file
     * written from these replays to the same slots).
     */
    public static java.util.List<AcceptorRecord> recordsOf(String gtrid, Slot slot) {
        if (slot.finished()) {
            return java.util.List.of(new AcceptorRecord.Finished(gtrid, slot.accepted(), slot.finishedAtMillis()));
        }
        java.util.List<AcceptorRecord> records = new java.util.ArrayList<>(2);
        if (slot.acceptedBallot() != null) {
            records.add(new AcceptorRecord.Accepted(gtrid, slot.acceptedBallot(), slot.accepted()));
        }
        if (slot.promised() != null && !slot.promised().equals(slot.acceptedBallot())) {
            records.add(new AcceptorRecord.Promised(gtrid, slot.promised()));
        }
        return records;
    }

    private static boolean isOwner(String gtrid, String nodeId) {
        try {
            return QuorumXid.ownerNodeId(gtrid).equals(nodeId);
        } catch (IllegalArgumentException notOurs) {
            return false;
        }
    }

    private static Ballot higher(Ballot a, Ballot b) {
        return b.isAbove(a) ? b : a;
    }

    private static Ballot ballotOf(PaxosRequest request) {
        if (request instanceof PaxosRequest.Prepare p) {
            return p.ballot();
        }
        return request instanceof PaxosRequest.Accept a ? a.ballot() : null;
    }

    private static PaxosReply reply(Kind kind, String gtrid, Ballot ballot, boolean ok, Slot slot) {
        return new PaxosReply(kind, gtrid, ballot, ok, slot.promised(), slot.acceptedBallot(), slot.accepted(), false);
    }

    private static PaxosReply finished(String gtrid, Ballot ballot, Slot slot) {
        return new PaxosReply(Kind.FINISHED, gtrid, ballot, false, slot.promised(), slot.acceptedBallot(),
                slot.accepted(), true);
    }
}
