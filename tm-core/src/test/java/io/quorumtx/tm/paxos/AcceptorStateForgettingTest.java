package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.xid.QuorumXid;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The acceptor's forgetting rules (horizon, rejoin fence) on the pure state machine, with explicit clocks. */
class AcceptorStateForgettingTest {
    private static final long HORIZON = 60_000;
    private static final long MARGIN = 5_000;
    private static final long BEGIN = 1_000_000_000L;
    private static final String G = QuorumXid.formatGtrid("n1", "e1", 1, BEGIN);
    private static final PaxosValue COMMIT = PaxosValue.commit(new CommitRecord(G, List.of(new BranchRecord("a", "a")),
            BEGIN));

    private static AcceptorState state() {
        return new AcceptorState(new AcceptorState.Rules(HORIZON, MARGIN));
    }

    private static PaxosReply accept(AcceptorState s, long now) {
        return s.handle(new PaxosRequest.Accept(G, Ballot.coordinator("n1"), COMMIT), now).reply();
    }

    @Test
    void aTombstoneIsKeptUntilTheHorizonPlusTheMarginAfterTheBeginAndALateAcceptThenCreatesNothing() {
        AcceptorState s = state();
        assertThat(accept(s, BEGIN + 10).ok()).isTrue();
        s.handle(new PaxosRequest.Finish(G, COMMIT, false), BEGIN + 20);
        assertThat(s.expire(BEGIN + HORIZON + MARGIN)).as("not yet past horizon + margin").isZero();
        assertThat(accept(s, BEGIN + HORIZON + MARGIN).finished()).as("the tombstone answers").isTrue();
        assertThat(s.expire(BEGIN + HORIZON + MARGIN + 1)).isEqualTo(1);
        PaxosReply late = accept(s, BEGIN + HORIZON + MARGIN + 1);
        assertThat(late.kind()).isEqualTo(PaxosReply.Kind.EXPIRED);
        assertThat(late.ok()).isFalse();
        assertThat(s.slot(G)).as("a late accept recreates nothing").isNull();
    }

    @Test
    void anUnfinishedInstanceOlderThanTheHorizonKeepsVotingButANewOneIsNeverCreated() {
        AcceptorState s = state();
        assertThat(accept(s, BEGIN).ok()).isTrue();
        PaxosReply promise = s.handle(new PaxosRequest.Prepare(G, new Ballot(3, "n2.x")), BEGIN + 10 * HORIZON).reply();
        assertThat(promise.ok()).as("its state is still needed: a takeover must find the accepted COMMIT").isTrue();
        assertThat(promise.accepted()).isEqualTo(COMMIT);
        assertThat(s.expire(BEGIN + 10 * HORIZON)).as("only tombstones expire").isZero();

        String other = QuorumXid.formatGtrid("n1", "e1", 2, BEGIN);
        PaxosReply refused = s.handle(new PaxosRequest.Prepare(other, new Ballot(3, "n2.x")), BEGIN + HORIZON + 1)
                .reply();
        assertThat(refused.kind()).isEqualTo(PaxosReply.Kind.EXPIRED);
        assertThat(s.handle(new PaxosRequest.Read(other), BEGIN + HORIZON + 1).reply().kind())
                .isEqualTo(PaxosReply.Kind.EXPIRED);
    }

    @Test
    void aRejoinedAcceptorIsFencedBeforeItsFenceEvenPastTheHorizonAndVotesAfterIt() {
        AcceptorState s = state();
        s.replay(new AcceptorRecord.Rejoined(BEGIN + 100, BEGIN + 100 + MARGIN));
        assertThat(accept(s, BEGIN + 200).kind()).isEqualTo(PaxosReply.Kind.FENCED);
        assertThat(accept(s, BEGIN + 2 * HORIZON).kind()).as("fenced, not expired: it may have voted in it")
                .isEqualTo(PaxosReply.Kind.FENCED);
        String after = QuorumXid.formatGtrid("n1", "e1", 3, BEGIN + 100 + MARGIN);
        assertThat(s.handle(new PaxosRequest.Prepare(after, new Ballot(1, "n2.x")), BEGIN + 200 + MARGIN).reply().ok())
                .isTrue();
    }

    @Test
    void aMajorityOfExpiredAnswersEndsAProposalWithAbortThatNoAcceptorHolds() {
        Proposal p = Proposal.takeover(G, "n2.x", Set.of("n1", "n2", "n3"), null);
        List<PaxosRequest> prepare = p.start();
        AcceptorState[] acceptors = {state(), state(), state()};
        acceptors[2].handle(new PaxosRequest.Accept(G, Ballot.coordinator("n1"), COMMIT), BEGIN); // a straggler
        long now = BEGIN + HORIZON + MARGIN + 1;
        p.onReply("n1", acceptors[0].handle(prepare.get(0), now).reply());
        assertThat(p.isChosen()).isFalse();
        p.onReply("n3", acceptors[2].handle(prepare.get(0), now).reply());
        assertThat(p.isChosen()).as("one EXPIRED and one promise are no majority of anything").isFalse();
        p.onReply("n2", acceptors[1].handle(prepare.get(0), now).reply());
        assertThat(p.isExpired()).isTrue();
        assertThat(p.chosen().isCommit()).isFalse();
        assertThat(acceptors[0].slot(G)).isNull();
        assertThat(acceptors[1].slot(G)).isNull();
    }

    @Test
    void theFenceRecordRoundTripsThroughItsFrame() {
        AcceptorState s = state();
        AcceptorRecord.Rejoined fence = new AcceptorRecord.Rejoined(7, 9);
        s.replay(fence);
        byte[] frame = AcceptorRecords.encode(fence);
        AcceptorRecords.Decoded decoded = AcceptorRecords.decode(java.nio.ByteBuffer.wrap(frame), 0, frame.length);
        assertThat(decoded.records()).containsExactly(fence);
        assertThat(s.rejoined()).isEqualTo(fence);
    }
}
