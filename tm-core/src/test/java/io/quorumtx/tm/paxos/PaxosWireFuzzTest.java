package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.quorumtx.tm.fuzz.FuzzSupport;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Fuzzes {@link PaxosWire#decode}, the parser of every authenticated envelope a member receives.
 *
 * <p>Properties: decoding returns an envelope or throws {@link PaxosWire.MalformedMessageException}
 * with a message, never an unchecked exception; a decoded envelope is the canonical encoding of
 * itself: re-encoding gives as many bytes as were read, and decoding those gives the same envelope
 * (nothing in the input was dropped, merged or half-read).
 */
class PaxosWireFuzzTest {
    static final String G = "n1.e1.1.1";
    static final PaxosValue COMMIT = PaxosValue.commit(new CommitRecord(G,
            List.of(new BranchRecord("db-a", "db-a"), new BranchRecord("db-b", "q")), 42));

    @FuzzTest
    void decode(byte[] input) {
        PaxosWire.Envelope envelope;
        try {
            envelope = PaxosWire.decode(ByteBuffer.wrap(input));
        } catch (PaxosWire.MalformedMessageException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        byte[] again = PaxosWire.encode(envelope);
        assertThat(again.length).as("re-encoding of %s", envelope).isEqualTo(input.length);
        PaxosWire.Envelope decodedAgain;
        try {
            decodedAgain = PaxosWire.decode(ByteBuffer.wrap(again));
        } catch (PaxosWire.MalformedMessageException e) {
            throw new AssertionError("the encoding of a decoded envelope does not decode: " + e.getMessage(), e);
        }
        assertThat(decodedAgain).isEqualTo(envelope);
    }

    /** One valid message of every kind, with every request and reply kind. */
    static Map<String, PaxosMessage> samples() {
        Ballot b = new Ballot(3, "n2.x.1");
        List<BranchRecord> done = List.of(new BranchRecord("db-a", "db-a"));
        Map<String, PaxosMessage> m = new LinkedHashMap<>();
        m.put("requests", new PaxosMessage.Requests(List.of(new PaxosRequest.Prepare(G, b),
                new PaxosRequest.Accept(G, b, COMMIT), new PaxosRequest.Accept(G, Ballot.coordinator("n1"),
                        PaxosValue.abort()), new PaxosRequest.Finish(G, COMMIT, true),
                new PaxosRequest.Finish(G, PaxosValue.abort(), false), new PaxosRequest.Read(G),
                new PaxosRequest.BranchDone(G, new BranchRecord("db-a", "db-a")))));
        m.put("prepare", new PaxosMessage.Requests(List.of(new PaxosRequest.Prepare(G, b))));
        m.put("accept", new PaxosMessage.Requests(List.of(new PaxosRequest.Accept(G, b, COMMIT))));
        m.put("finish", new PaxosMessage.Requests(List.of(new PaxosRequest.Finish(G, COMMIT, true))));
        m.put("read", new PaxosMessage.Requests(List.of(new PaxosRequest.Read(G))));
        m.put("branch-done", new PaxosMessage.Requests(List.of(new PaxosRequest.BranchDone(G, done.get(0)))));
        List<PaxosReply> replies = new ArrayList<>();
        for (PaxosReply.Kind kind : PaxosReply.Kind.values()) {
            replies.add(new PaxosReply(kind, G, b, kind != PaxosReply.Kind.FENCED, b, new Ballot(0, "n1"), COMMIT,
                    kind == PaxosReply.Kind.FINISHED, kind == PaxosReply.Kind.BRANCH_DONE ? done : List.of()));
        }
        replies.add(new PaxosReply(PaxosReply.Kind.STATE, G, null, true, null, null, null, false, List.of()));
        replies.add(new PaxosReply(PaxosReply.Kind.FINISHED, G, null, false, b, null, PaxosValue.abort(), true, done));
        m.put("replies", new PaxosMessage.Replies(replies));
        m.put("renew", new PaxosMessage.Renew("n1"));
        m.put("lease-query", new PaxosMessage.LeaseQuery());
        m.put("lease-report", new PaxosMessage.LeaseReport(Map.of("n1", 5L, "n2", 7000L, "n3", 0L)));
        m.put("lease-report-rejoined", new PaxosMessage.LeaseReport(Map.of("n1", 5L), 1_700_000_000_000L,
                1_700_000_030_000L));
        m.put("list-accepted", new PaxosMessage.ListAccepted("n1"));
        m.put("accepted-list", new PaxosMessage.AcceptedList(List.of(G, "n1.e1.2.1")));
        m.put("ack", new PaxosMessage.Ack());
        m.put("error", new PaxosMessage.Error("member lists differ"));
        return m;
    }

    /** The envelope of every sample, as n1 sends it to n2. */
    static Map<String, byte[]> sampleEnvelopes() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        long id = 1;
        for (var sample : samples().entrySet()) {
            seeds.put(sample.getKey(), PaxosWire.encode(new PaxosWire.Envelope(0x1234L, "n1", "n2", id++,
                    sample.getValue())));
        }
        return seeds;
    }

    @Test
    @EnabledIfSystemProperty(named = FuzzSupport.WRITE_SEEDS, matches = "true")
    void writeSeeds() throws Exception {
        FuzzSupport.writeSeeds(PaxosWireFuzzTest.class, "decode", sampleEnvelopes());
    }
}
