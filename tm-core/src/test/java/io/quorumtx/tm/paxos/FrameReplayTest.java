package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.log.BranchRecord;

import io.quorumtx.tm.xid.QuorumXid;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 item 2: frames of every message type, captured from a live connection by a
 * {@link RecordingProxy}, replayed later on the same connection and on another one: every replay
 * is refused, the connection closed, the acceptor's state unchanged and the lease not renewed.
 * Members n2 and n3 run; the test is n1.
 */
class FrameReplayTest {
    private static final int CLIENT_HANDSHAKE_MESSAGES = 2;
    private static final int SERVER_HANDSHAKE_MESSAGES = 1;

    @TempDir
    Path dir;

    private final List<String> members = new ArrayList<>();
    private final Map<String, ReplicatedCommitLog> logs = new LinkedHashMap<>();
    private RecordingProxy proxy;
    private int seq;

    @BeforeEach
    void start() throws IOException {
        for (int i = 1; i <= 3; i++) {
            members.add("n" + i + "=127.0.0.1:" + TcpTransportTest.freePort());
        }
        for (int i = 2; i <= 3; i++) {
            logs.put("n" + i, ReplicatedCommitLog.open(ReplicatedLogConfig.builder().nodeId("n" + i)
                    .dataDirectory(dir.resolve("n" + i)).members(members).secret(PaxosCluster.SECRET)
                    .requestTimeout(Duration.ofSeconds(1)).commitTimeout(Duration.ofSeconds(5)).startMode(StartMode.BOOTSTRAP).build()));
        }
        proxy = new RecordingProxy(ClusterConfig.parseMembers(members).get("n2"));
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        logs.values().forEach(ReplicatedCommitLog::close);
    }

    private ClusterConfig n1() {
        return new ClusterConfig("n1", ClusterConfig.parseMembers(members), PaxosCluster.SECRET);
    }

    private TcpTransport viaProxy() throws IOException {
        return TcpTransport.client(n1(), Duration.ofSeconds(2), proxy.security(new HmacChallenge(n1())));
    }

    /** Every request kind n1 can send, one message each; their replies cover every reply kind but Error. */
    private List<PaxosMessage> everyRequestKind(String g) {
        seq++;
        Ballot b = new Ballot(1, "n1.test.x." + seq);
        BranchRecord branch = new BranchRecord("a", "a");
        return List.of(
                new PaxosMessage.Requests(List.of(new PaxosRequest.Prepare(g, b))),
                new PaxosMessage.Requests(List.of(new PaxosRequest.Accept(g, b, PaxosValue.abort()))),
                new PaxosMessage.Requests(List.of(new PaxosRequest.Read(g))),
                new PaxosMessage.Requests(List.of(new PaxosRequest.BranchDone(g, branch))),
                new PaxosMessage.Requests(List.of(new PaxosRequest.Finish(g, PaxosValue.abort(), false))),
                new PaxosMessage.Renew("n1"),
                new PaxosMessage.LeaseQuery(),
                new PaxosMessage.ListAccepted("n1"));
    }

    /** Sends every kind over a fresh proxied connection and returns that connection's recording. */
    private RecordingProxy.Pipe capture(TcpTransport n1, String g) throws Exception {
        List<String> replies = new ArrayList<>();
        for (PaxosMessage m : everyRequestKind(g)) {
            replies.add(n1.send("n2", m).get(5, TimeUnit.SECONDS).getClass().getSimpleName());
        }
        assertThat(replies).containsExactly("Replies", "Replies", "Replies", "Replies", "Replies", "Ack",
                "LeaseReport", "AcceptedList");
        RecordingProxy.Pipe pipe = proxy.latest();
        Poll.until("the recording of 8 requests and 8 replies", Duration.ofSeconds(5),
                () -> pipe.toServer.size() == CLIENT_HANDSHAKE_MESSAGES + 8
                        && pipe.toClient.size() == SERVER_HANDSHAKE_MESSAGES + 8);
        return pipe;
    }

    private record Snapshot(AcceptorState.Slot slot, long recordsWritten) {
    }

    private Snapshot snapshot(String g) {
        Acceptor a = logs.get("n2").acceptor();
        return new Snapshot(a.slot(g), a.recordsWritten());
    }

    private long leaseAgeOfN1() throws Exception {
        ClusterConfig tool = new ClusterConfig(ClusterConfig.newToolId(), ClusterConfig.parseMembers(members),
                PaxosCluster.SECRET);
        try (TcpTransport t = TcpTransport.client(tool, Duration.ofSeconds(2))) {
            return ((PaxosMessage.LeaseReport) t.send("n2", new PaxosMessage.LeaseQuery()).get(5, TimeUnit.SECONDS))
                    .millisSinceRenewal().get("n1");
        }
    }

    private void awaitLeaseAgeAbove(long millis) {
        Poll.until("n1's lease at n2 older than " + millis + " ms", Duration.ofSeconds(10), () -> {
            try {
                return leaseAgeOfN1() > millis;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    /** Injects {@code frame} toward n2 on {@code pipe}; n2 must close the connection and change nothing. */
    private void assertRefusedByServer(RecordingProxy.Pipe pipe, byte[] frame, String g, String what) throws Exception {
        awaitLeaseAgeAbove(300);
        long leaseAge = leaseAgeOfN1();
        Snapshot before = snapshot(g);
        pipe.injectToServer(frame);
        Poll.until("n2 closing the connection after " + what, Duration.ofSeconds(5), () -> pipe.serverClosed);
        assertThat(snapshot(g)).as("n2's acceptor after " + what).isEqualTo(before);
        assertThat(leaseAgeOfN1()).as("ms since n1's renewal at n2 after " + what).isGreaterThanOrEqualTo(leaseAge);
    }

    @Test
    void everyRequestFrameReplayedLaterOnTheSameConnectionIsRefused() throws Exception {
        for (int kind = 0; kind < 8; kind++) {
            String g = QuorumXid.formatGtrid("n1", "e1", 100 + kind, System.currentTimeMillis());
            try (TcpTransport n1 = viaProxy()) {
                RecordingProxy.Pipe pipe = capture(n1, g);
                byte[] frame = pipe.frames(pipe.toServer, CLIENT_HANDSHAKE_MESSAGES).get(kind);
                assertRefusedByServer(pipe, frame, g, "request frame " + kind + " replayed on its own connection");
            }
        }
    }

    @Test
    void everyRequestFrameReplayedOnAnotherConnectionIsRefused() throws Exception {
        String g = QuorumXid.formatGtrid("n1", "e1", 200, System.currentTimeMillis());
        List<byte[]> recorded;
        try (TcpTransport n1 = viaProxy()) {
            RecordingProxy.Pipe pipe = capture(n1, g);
            recorded = List.copyOf(pipe.frames(pipe.toServer, CLIENT_HANDSHAKE_MESSAGES));
        }
        for (int kind = 0; kind < recorded.size(); kind++) {
            try (TcpTransport n1 = viaProxy()) {
                n1.send("n2", new PaxosMessage.LeaseQuery()).get(5, TimeUnit.SECONDS); // a fresh, live session
                RecordingProxy.Pipe other = proxy.latest();
                assertRefusedByServer(other, recorded.get(kind), g, "request frame " + kind
                        + " replayed on another connection");
            }
        }
    }

    @Test
    void aWholeRecordedConnectionReplayedFromTheStartFailsTheHandshake() throws Exception {
        String g = QuorumXid.formatGtrid("n1", "e1", 300, System.currentTimeMillis());
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try (TcpTransport n1 = viaProxy()) {
            for (byte[] b : capture(n1, g).toServer) {
                all.write(b);
            }
        }
        awaitLeaseAgeAbove(300);
        long leaseAge = leaseAgeOfN1();
        Snapshot before = snapshot(g);
        InetSocketAddress n2 = ClusterConfig.parseMembers(members).get("n2");
        try (Socket replay = new Socket(n2.getHostString(), n2.getPort())) {
            replay.setSoTimeout(5000);
            replay.getOutputStream().write(all.toByteArray());
            byte[] answer = replay.getInputStream().readNBytes(1000); // n2's fresh challenge, then end of stream
            assertThat(answer.length).as("bytes n2 sent before closing: its handshake answer only").isEqualTo(66);
        }
        assertThat(snapshot(g)).isEqualTo(before);
        assertThat(leaseAgeOfN1()).isGreaterThanOrEqualTo(leaseAge);
    }

    @Test
    void everyReplyFrameReplayedToTheClientIsRefused() throws Exception {
        String g = QuorumXid.formatGtrid("n1", "e1", 400, System.currentTimeMillis());
        List<byte[]> replies;
        try (TcpTransport n1 = viaProxy()) {
            RecordingProxy.Pipe pipe = capture(n1, g);
            replies = List.copyOf(pipe.frames(pipe.toClient, SERVER_HANDSHAKE_MESSAGES));
            // later on the same connection: the first reply again
            pipe.injectToClient(replies.get(0));
            Poll.until("n1 closing its connection after a replayed reply", Duration.ofSeconds(5),
                    () -> pipe.clientClosed);
        }
        for (int kind = 0; kind < replies.size(); kind++) {
            try (TcpTransport n1 = viaProxy()) {
                n1.send("n2", new PaxosMessage.LeaseQuery()).get(5, TimeUnit.SECONDS);
                RecordingProxy.Pipe other = proxy.latest();
                other.injectToClient(replies.get(kind));
                int k = kind;
                Poll.until("n1 closing its connection after reply frame " + k + " of another connection",
                        Duration.ofSeconds(5), () -> other.clientClosed);
            }
        }
    }
}
