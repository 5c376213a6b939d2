package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.xid.QuorumXid;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Requests no honest proposer sends, from an authenticated member that is buggy or compromised:
 * the acceptor refuses them and its state does not change, so they cannot wedge or split an instance.
 */
class AcceptorStateProtocolViolationTest {
    private static final long NOW = 1_000_000_000L;
    private static final String G = QuorumXid.formatGtrid("n1", "e1", 1, NOW);
    private static final PaxosValue COMMIT = PaxosValue.commit(new CommitRecord(G, List.of(new BranchRecord("a", "a")),
            NOW));

    private static AcceptorState state() {
        return new AcceptorState(new AcceptorState.Rules(60_000, 5_000));
    }

    @Test
    void aRoundBeyondTheBoundIsRefusedSoLaterTakeoversCanStillOutbidIt() {
        AcceptorState s = state();
        PaxosReply reply = s.handle(new PaxosRequest.Prepare(G, new Ballot(Long.MAX_VALUE, "n3.x.y.1")), NOW).reply();

        assertThat(reply.ok()).as("a promise for round Long.MAX_VALUE").isFalse();
        assertThat(s.slot(G)).as("the instance after the refused prepare").isNull();
        // an honest takeover's next ballot is computed from what it saw: it must not overflow
        Ballot next = Ballot.above(reply.promised(), "n2.x.y.1");
        assertThat(s.handle(new PaxosRequest.Prepare(G, next), NOW).reply().ok()).isTrue();
        assertThat(s.handle(new PaxosRequest.Accept(G, new Ballot(Ballot.MAX_ROUND + 1, "n3.x.y.1"), COMMIT), NOW)
                .reply().ok()).as("an accept beyond the bound").isFalse();
        assertThat(s.slot(G).acceptedBallot()).isNull();
    }

    @Test
    void anAcceptRepeatingAnAcceptedBallotWithAnotherValueIsRefused() {
        AcceptorState s = state();
        Ballot b = new Ballot(3, "n2.x.y.1");
        assertThat(s.handle(new PaxosRequest.Accept(G, b, PaxosValue.abort()), NOW).reply().ok()).isTrue();

        PaxosReply second = s.handle(new PaxosRequest.Accept(G, b, COMMIT), NOW).reply();

        assertThat(second.ok()).as("the same ballot with another value").isFalse();
        assertThat(s.slot(G).accepted()).as("the value accepted at that ballot").isEqualTo(PaxosValue.abort());
        assertThat(s.handle(new PaxosRequest.Accept(G, b, PaxosValue.abort()), NOW).reply().ok())
                .as("a true duplicate is still answered as before").isTrue();
    }
}
