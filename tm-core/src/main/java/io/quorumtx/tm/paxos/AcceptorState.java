package io.quorumtx.tm.paxos;

import io.quorumtx.tm.paxos.PaxosReply.Kind;
import io.quorumtx.tm.xid.QuorumXid;
import io.quorumtx.tm.log.BranchRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
 *       answered FINISHED with v and nothing changes but the finished branches. A finish is only
 *       sent for a chosen value, so a late takeover learns that value instead of choosing a
 *       second one.</li>
 *   <li>BranchDone(branch): the branch of the chosen COMMIT is finished. Kept for as long as the
 *       instance is, tombstone included, and reported in every answer: a database that lists
 *       an already finished branch again (H2 2.4.240) must meet a log that still knows it, also
 *       after the commit's END, when the tombstone answers COMMIT (see
 *       {@code CommitLog#logBranchDone}).</li>
 * </ul>
 */
public final class AcceptorState {

    /** One instance: highest promise, last accepted ballot and value, and the tombstone flag. */
    public record Slot(Ballot promised, Ballot acceptedBallot, PaxosValue accepted, boolean finished,
                       long finishedAtMillis, List<BranchRecord> done) {
        public Slot {
            done = List.copyOf(done);
        }

        Slot promise(Ballot b) {
            return new Slot(b, acceptedBallot, accepted, false, 0, done);
        }

        Slot accept(Ballot b, PaxosValue v) {
            return new Slot(b, b, v, false, 0, done);
        }

        /** The tombstone keeps the finished branches: recovery reads them after the END too. */
        Slot finish(PaxosValue v, long at) {
            return new Slot(promised, acceptedBallot, v, true, at, done);
        }

        Slot branchDone(BranchRecord branch) {
            if (done.contains(branch)) {
                return this;
            }
            List<BranchRecord> more = new ArrayList<>(done);
            more.add(branch);
            return new Slot(promised, acceptedBallot, accepted, finished, finishedAtMillis, more);
        }
    }

    /**
     * An answer and the record to write before sending it (null: nothing changed); {@code force}
     * says whether the record must be forced before the answer leaves (all but a lazy finish).
     */
    public record Step(PaxosReply reply, AcceptorRecord record, boolean force) {
        Step(PaxosReply reply, AcceptorRecord record) {
            this(reply, record, record != null);
        }
    }

    private static final Slot EMPTY = new Slot(null, null, null, false, 0, List.of());

    private final Map<String, Slot> slots = new HashMap<>();

    public Step handle(PaxosRequest request, long nowMillis) {
        String gtrid = request.gtrid();
        Slot slot = slots.getOrDefault(gtrid, EMPTY);
        if (request instanceof PaxosRequest.BranchDone done) {
            if (slot.done().contains(done.branch())) {
                return new Step(branchDoneReply(gtrid, slot), null);
            }
            Slot next = slot.branchDone(done.branch());
            slots.put(gtrid, next);
            return new Step(branchDoneReply(gtrid, next), new AcceptorRecord.BranchDone(gtrid, done.branch()));
        }
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
            Slot next = slot.promise(b);
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
            Slot next = slot.accept(b, accept.value());
            slots.put(gtrid, next);
            return new Step(reply(Kind.ACCEPTED, gtrid, b, true, next),
                    new AcceptorRecord.Accepted(gtrid, b, accept.value()));
        }
        if (request instanceof PaxosRequest.Finish finish) {
            Slot next = slot.finish(finish.value(), nowMillis);
            slots.put(gtrid, next);
            return new Step(finished(gtrid, null, next), new AcceptorRecord.Finished(gtrid, finish.value(), nowMillis),
                    finish.forced());
        }
        return new Step(reply(Kind.STATE, gtrid, null, true, slot), null);
    }

    /** Applies a durable record read back from disk (in the order it was written). */
    public void replay(AcceptorRecord record) {
        String gtrid = record.gtrid();
        Slot slot = slots.getOrDefault(gtrid, EMPTY);
        if (record instanceof AcceptorRecord.BranchDone d) {
            slots.put(gtrid, slot.branchDone(d.branch())); // a tombstone keeps its finished branches too
            return;
        }
        if (slot.finished()) {
            return;
        }
        Slot next;
        if (record instanceof AcceptorRecord.Promised p) {
            next = slot.promise(higher(slot.promised(), p.ballot()));
        } else if (record instanceof AcceptorRecord.Accepted a) {
            next = slot.accept(a.ballot(), a.value()).promise(higher(slot.promised(), a.ballot()));
        } else {
            AcceptorRecord.Finished f = (AcceptorRecord.Finished) record;
            next = slot.finish(f.value(), f.finishedAtMillis());
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
    public static List<AcceptorRecord> recordsOf(String gtrid, Slot slot) {
        List<AcceptorRecord> records = new ArrayList<>(2 + slot.done().size());
        if (slot.finished()) {
            records.add(new AcceptorRecord.Finished(gtrid, slot.accepted(), slot.finishedAtMillis()));
            for (BranchRecord b : slot.done()) {
                records.add(new AcceptorRecord.BranchDone(gtrid, b));
            }
            return records;
        }
        if (slot.acceptedBallot() != null) {
            records.add(new AcceptorRecord.Accepted(gtrid, slot.acceptedBallot(), slot.accepted()));
        }
        if (slot.promised() != null && !slot.promised().equals(slot.acceptedBallot())) {
            records.add(new AcceptorRecord.Promised(gtrid, slot.promised()));
        }
        for (BranchRecord b : slot.done()) {
            records.add(new AcceptorRecord.BranchDone(gtrid, b));
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
        return new PaxosReply(kind, gtrid, ballot, ok, slot.promised(), slot.acceptedBallot(), slot.accepted(), false,
                slot.done());
    }

    private static PaxosReply finished(String gtrid, Ballot ballot, Slot slot) {
        return new PaxosReply(Kind.FINISHED, gtrid, ballot, false, slot.promised(), slot.acceptedBallot(),
                slot.accepted(), true, slot.done());
    }

    /** A recorded BRANCH_DONE: granted, live instance or tombstone (which then answers FINISHED, as always). */
    private static PaxosReply branchDoneReply(String gtrid, Slot slot) {
        return slot.finished() ? finished(gtrid, null, slot) : reply(Kind.BRANCH_DONE, gtrid, null, true, slot);
    }
}
