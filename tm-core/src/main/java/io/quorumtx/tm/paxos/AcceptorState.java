package io.quorumtx.tm.paxos;

import io.quorumtx.tm.paxos.PaxosReply.Kind;
import io.quorumtx.tm.xid.QuorumXid;
import io.quorumtx.tm.log.BranchRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *
 * <p><b>Forgetting without deciding twice</b> (issue 11, findings 1 and 3). An acceptor that holds
 * nothing of an instance is indistinguishable from one that forgot it, so it votes only where it
 * cannot have forgotten anything; with {@link Rules}:
 * <ul>
 *   <li><b>Horizon.</b> An instance whose transaction began (its gtrid's begin time) more than
 *       the horizon ago is never created: every request for it is answered
 *       {@link Kind#EXPIRED} unless this acceptor still holds its state. A tombstone is dropped
 *       only once its transaction began more than the horizon plus the clock-skew margin ago,
 *       when no acceptor (whose clock is within the margin) would create the instance again. So
 *       an acceptor that forgot an instance never votes in it again, and a late or replayed
 *       message cannot recreate it. A majority answering EXPIRED proves nothing can be chosen
 *       any more: each of them either never voted in it or finished it (a finished COMMIT has
 *       every branch done).</li>
 *   <li><b>Rejoin fence.</b> After its disk was lost the acceptor holds a durable
 *       {@link AcceptorRecord.Rejoined} fence: it answers {@link Kind#FENCED} (a refusal) for
 *       every instance it holds nothing of whose transaction began before the fence; the other
 *       members decide those.</li>
 * </ul>
 * Only instances with a QuorumTX gtrid carry a begin time; other gtrids (tests) are never
 * refused and their tombstones expire the horizon after they were finished.
 */
final class AcceptorState {
    private static final Logger LOG = LoggerFactory.getLogger(AcceptorState.class);


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

    /**
     * The forgetting rules: the horizon (the cluster's tombstone retention) and the margin by
     * which acceptors' and owners' wall clocks may differ (steps included). {@link #NONE} never
     * refuses for age and never drops a tombstone (the pure state machine without forgetting).
     */
    public record Rules(long horizonMillis, long clockSkewMarginMillis) {
        public static final Rules NONE = new Rules(Long.MAX_VALUE / 4, 0);

        public Rules {
            if (horizonMillis <= 0 || clockSkewMarginMillis < 0) {
                throw new IllegalArgumentException("horizon " + horizonMillis + " ms must be positive and the clock"
                        + " skew margin " + clockSkewMarginMillis + " ms not negative");
            }
        }
    }

    private static final Slot EMPTY = new Slot(null, null, null, false, 0, List.of());

    private final Map<String, Slot> slots = new HashMap<>();
    private final Rules rules;
    private AcceptorRecord.Rejoined rejoined;

    /** An acceptor state that never forgets ({@link Rules#NONE}). */
    public AcceptorState() {
        this(Rules.NONE);
    }

    public AcceptorState(Rules rules) {
        this.rules = java.util.Objects.requireNonNull(rules, "rules");
    }

    @SuppressWarnings("ReferenceEquality") // EMPTY is a sentinel: identity is the test
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
        if (slot == EMPTY) {
            Kind refusal = refusal(gtrid, nowMillis);
            if (refusal != null) {
                return new Step(new PaxosReply(refusal, gtrid, ballotOf(request), false, null, null, null, false,
                        List.of()), null);
            }
        }
        if (request instanceof PaxosRequest.Prepare prepare) {
            Ballot b = prepare.ballot();
            if (b.round() > Ballot.MAX_ROUND) {
                return violation(Kind.PROMISE, gtrid, b, slot, "a round above " + Ballot.MAX_ROUND);
            }
            if (b.round() == 0 || !b.isAtLeast(slot.promised())) {
                return new Step(refused(Kind.PROMISE, gtrid, b, slot), null);
            }
            if (b.equals(slot.promised())) {
                return new Step(granted(Kind.PROMISE, gtrid, b, slot), null); // a duplicate: same answer
            }
            Slot next = slot.promise(b);
            slots.put(gtrid, next);
            return new Step(granted(Kind.PROMISE, gtrid, b, next), new AcceptorRecord.Promised(gtrid, b));
        }
        if (request instanceof PaxosRequest.Accept accept) {
            Ballot b = accept.ballot();
            if (!b.isAtLeast(slot.promised()) || (b.round() == 0 && !isOwner(gtrid, b.nodeId()))) {
                return new Step(refused(Kind.ACCEPTED, gtrid, b, slot), null);
            }
            if (b.round() > Ballot.MAX_ROUND) {
                return violation(Kind.ACCEPTED, gtrid, b, slot, "a round above " + Ballot.MAX_ROUND);
            }
            if (b.equals(slot.acceptedBallot())) {
                if (!accept.value().equals(slot.accepted())) { // one proposer proposes one value per ballot
                    return violation(Kind.ACCEPTED, gtrid, b, slot, "another value at the ballot it accepted");
                }
                return new Step(granted(Kind.ACCEPTED, gtrid, b, slot), null); // a duplicate
            }
            Slot next = slot.accept(b, accept.value());
            slots.put(gtrid, next);
            return new Step(granted(Kind.ACCEPTED, gtrid, b, next),
                    new AcceptorRecord.Accepted(gtrid, b, accept.value()));
        }
        if (request instanceof PaxosRequest.Finish finish) {
            Slot next = slot.finish(finish.value(), nowMillis);
            slots.put(gtrid, next);
            return new Step(finished(gtrid, null, next), new AcceptorRecord.Finished(gtrid, finish.value(), nowMillis),
                    finish.forced());
        }
        return new Step(granted(Kind.STATE, gtrid, null, slot), null);
    }

    /**
     * Why this acceptor must not create instance {@code gtrid} (it holds nothing of it): FENCED if
     * the transaction began before its rejoin fence, EXPIRED if it began before the horizon;
     * null if it may.
     */
    private Kind refusal(String gtrid, long nowMillis) {
        long begin;
        try {
            begin = QuorumXid.beginMillis(gtrid);
        } catch (IllegalArgumentException notOurs) {
            return null;
        }
        if (rejoined != null && begin < rejoined.fenceMillis()) {
            return Kind.FENCED; // checked first: a fenced acceptor may have voted in it, so it is not "expired" here
        }
        return begin < nowMillis - rules.horizonMillis() ? Kind.EXPIRED : null;
    }

    /**
     * Drops every tombstone that may be forgotten at {@code nowMillis} (see the class comment):
     * its transaction began more than the horizon plus the clock-skew margin ago (for a gtrid
     * without a begin time: finished more than the horizon ago). Returns how many.
     */
    public int expire(long nowMillis) {
        long horizon = nowMillis - rules.horizonMillis();
        int dropped = 0;
        for (java.util.Iterator<Map.Entry<String, Slot>> it = slots.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Slot> e = it.next();
            if (e.getValue().finished() && forgettable(e.getKey(), e.getValue(), horizon)) {
                it.remove();
                dropped++;
            }
        }
        return dropped;
    }

    private boolean forgettable(String gtrid, Slot tombstone, long horizon) {
        try {
            return QuorumXid.beginMillis(gtrid) < horizon - rules.clockSkewMarginMillis();
        } catch (IllegalArgumentException notOurs) {
            return tombstone.finishedAtMillis() < horizon;
        }
    }

    /** The rejoin fence this acceptor holds, or null if it never rejoined. */
    public AcceptorRecord.Rejoined rejoined() {
        return rejoined;
    }

    /** Applies a durable record read back from disk (in the order it was written). */
    public void replay(AcceptorRecord record) {
        if (record instanceof AcceptorRecord.Rejoined j) {
            rejoined = j;
            return;
        }
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

    /** Forgets a tombstone (never a live instance); {@link #expire} applies the rules. */
    public boolean dropTombstone(String gtrid) {
        Slot slot = slots.get(gtrid);
        if (slot != null && slot.finished()) {
            slots.remove(gtrid);
            return true;
        }
        return false;
    }

    /**
     * The durable records that recreate the current state exactly (for compaction: the fence, if
     * any, then these for every slot; a new file written from them replays to the same state).
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

    /**
     * Refuses a request no honest proposer sends (the transport has already bound its ballot to
     * the member that sent it), logs it as a protocol violation, and changes nothing.
     */
    private static Step violation(Kind kind, String gtrid, Ballot ballot, Slot slot, String what) {
        LOG.warn("Protocol violation refused for transaction {}: ballot {} carries {} (no honest proposer sends"
                + " this; check the member that sent it)", gtrid, ballot, what);
        return new Step(refused(kind, gtrid, ballot, slot), null);
    }

    /** The request is granted (or, for a read, answered): ok, with what this acceptor holds. */
    private static PaxosReply granted(Kind kind, String gtrid, Ballot ballot, Slot slot) {
        return reply(kind, gtrid, ballot, true, slot);
    }

    /** The request is refused (a higher promise, a round-0 accept by another, a violation), with what it holds. */
    private static PaxosReply refused(Kind kind, String gtrid, Ballot ballot, Slot slot) {
        return reply(kind, gtrid, ballot, false, slot);
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
        return slot.finished() ? finished(gtrid, null, slot) : granted(Kind.BRANCH_DONE, gtrid, null, slot);
    }
}
