package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PaxosWireTest {
    private static final String G = "n1.e1.1.1";
    private static final PaxosValue COMMIT = PaxosValue.commit(new CommitRecord(G,
            List.of(new BranchRecord("db-a", "db-a"), new BranchRecord("db-b", "q")), 42));

    private static List<PaxosMessage> samples() {
        Ballot b = new Ballot(3, "n2.x.1");
        return List.of(
                new PaxosMessage.Requests(List.of(new PaxosRequest.Prepare(G, b), new PaxosRequest.Accept(G, b, COMMIT),
                        new PaxosRequest.Accept(G, Ballot.coordinator("n1"), PaxosValue.abort()),
                        new PaxosRequest.Finish(G, COMMIT, true), new PaxosRequest.Finish(G, COMMIT, false), new PaxosRequest.Read(G),
                        new PaxosRequest.BranchDone(G, new BranchRecord("db-a", "db-a")))),
                new PaxosMessage.Replies(List.of(
                        new PaxosReply(PaxosReply.Kind.PROMISE, G, b, true, b, new Ballot(0, "n1"), COMMIT, false,
                                List.of(new BranchRecord("db-a", "db-a"))),
                        new PaxosReply(PaxosReply.Kind.STATE, G, null, true, null, null, null, false, List.of()),
                        new PaxosReply(PaxosReply.Kind.FINISHED, G, null, false, b, null, PaxosValue.abort(), true,
                                List.of()))),
                new PaxosMessage.Renew("n1"), new PaxosMessage.LeaseQuery(),
                new PaxosMessage.LeaseReport(Map.of("n1", 5L, "n2", 7000L)), new PaxosMessage.ListAccepted("n1"),
                new PaxosMessage.AcceptedList(List.of(G, "n1.e1.2.1")), new PaxosMessage.Ack(),
                new PaxosMessage.Error("member lists differ"));
    }

    @Test
    void everyMessageSurvivesTheRoundTrip() throws Exception {
        long id = 1;
        for (PaxosMessage m : samples()) {
            PaxosWire.Envelope e = new PaxosWire.Envelope(0x1234L, "n1", "n2", id++, m);
            assertThat(PaxosWire.decode(ByteBuffer.wrap(PaxosWire.encode(e)))).isEqualTo(e);
        }
    }

    @Test
    void truncatedPaddedOrAlteredEnvelopesAreRejectedNotHalfRead() {
        for (PaxosMessage m : samples()) {
            byte[] bytes = PaxosWire.encode(new PaxosWire.Envelope(1, "n1", "n2", 9, m));
            for (int cut = 0; cut < bytes.length; cut++) {
                byte[] shorter = Arrays.copyOf(bytes, cut);
                assertThatThrownBy(() -> PaxosWire.decode(ByteBuffer.wrap(shorter)))
                        .isInstanceOf(PaxosWire.MalformedMessageException.class);
            }
            byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
            assertThatThrownBy(() -> PaxosWire.decode(ByteBuffer.wrap(longer)))
                    .hasMessageContaining("trailing");
        }
        byte[] bytes = PaxosWire.encode(new PaxosWire.Envelope(1, "n1", "n2", 9, new PaxosMessage.Ack()));
        bytes[0] = 'X';
        assertThatThrownBy(() -> PaxosWire.decode(ByteBuffer.wrap(bytes))).hasMessageContaining("magic");
    }

    /** Found by PaxosWireFuzzTest (regression input regression-lease-report-names-a-node-twice). */
    @Test
    void aLeaseReportNamingANodeTwiceIsRefused() {
        byte[] twice = PaxosWire.encode(new PaxosWire.Envelope(1, "n1", "n2", 9,
                new PaxosMessage.LeaseReport(Map.of("n1", 5L, "n3", 7000L))));
        // rename n3 to n1 in place: the same byte length, a valid encoding except for the repetition
        for (int i = 0; i + 6 <= twice.length; i++) {
            if (twice[i] == 0 && twice[i + 3] == 2 && twice[i + 4] == 'n' && twice[i + 5] == '3') {
                twice[i + 5] = '1';
            }
        }
        assertThatThrownBy(() -> PaxosWire.decode(ByteBuffer.wrap(twice)))
                .isInstanceOf(PaxosWire.MalformedMessageException.class)
                .hasMessageContaining("names node 'n1' twice");
    }
}
