package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;

import io.quorumtx.tm.xid.QuorumXid;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: what someone who can reach a member's port must not be able to do. Members n2 and n3
 * run over loopback TCP; the test plays n1 (or an attacker without the secret).
 */
class TransportSecurityTest {

    @TempDir
    Path dir;

    private final List<String> members = new ArrayList<>();
    private final Map<String, ReplicatedCommitLog> logs = new LinkedHashMap<>();
    private final List<Socket> attackers = new ArrayList<>();

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
    }

    @AfterEach
    void stop() {
        attackers.forEach(TcpTransport::closeQuietly);
        logs.values().forEach(ReplicatedCommitLog::close);
    }

    private InetSocketAddress address(String id) {
        return ClusterConfig.parseMembers(members).get(id);
    }

    private ClusterConfig as(String id) {
        return new ClusterConfig(id, ClusterConfig.parseMembers(members), PaxosCluster.SECRET);
    }

    private static String gtrid(String owner) {
        return QuorumXid.formatGtrid(owner, "e1", System.nanoTime() & 0xffff, System.currentTimeMillis());
    }

    private long millisSinceRenewalOf(String node, String at) throws Exception {
        try (TcpTransport tool = TcpTransport.client(as(ClusterConfig.newToolId()), Duration.ofSeconds(2))) {
            PaxosMessage r = tool.send(at, new PaxosMessage.LeaseQuery()).get(5, TimeUnit.SECONDS);
            return ((PaxosMessage.LeaseReport) r).millisSinceRenewal().get(node);
        }
    }

    @Test
    void hundredsOfIdleUnauthenticatedConnectionsDoNotLockOutAMember() throws Exception {
        InetSocketAddress n2 = address("n2");
        for (int i = 0; i < 100; i++) {
            Socket s = new Socket(n2.getHostString(), n2.getPort());
            attackers.add(s);
        }
        try (TcpTransport n1 = TcpTransport.client(as("n1"), Duration.ofSeconds(2))) {
            PaxosMessage reply = n1.send("n2", new PaxosMessage.Renew("n1")).get(10, TimeUnit.SECONDS);
            assertThat(reply).as("n2's answer to a member connecting while 100 strangers hold connections")
                    .isInstanceOf(PaxosMessage.Ack.class);
        }
    }

    @Test
    void aRecordedLeaseRenewalReplayedOnANewConnectionDoesNotRenewTheLease() throws Exception {
        // The bytes n1's transport writes on a fresh connection for its first renewal, as an
        // eavesdropper records them (the frame format before issue 12: length, HMAC, envelope).
        byte[] envelope = PaxosWire.encode(new PaxosWire.Envelope(as("n1").membersDigest(), "n1", "n2", 1,
                new PaxosMessage.Renew("n1")));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(PaxosCluster.SECRET, "HmacSHA256"));
        ByteArrayOutputStream recorded = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(recorded);
        out.writeInt(32 + envelope.length);
        out.write(mac.doFinal(envelope));
        out.write(envelope);

        Poll.until("n1's lease at n2 older than 300 ms", Duration.ofSeconds(10),
                () -> uncheckedMillisSince("n1", "n2") > 300);
        long before = millisSinceRenewalOf("n1", "n2");
        InetSocketAddress n2 = address("n2");
        try (Socket replay = new Socket(n2.getHostString(), n2.getPort())) {
            replay.getOutputStream().write(recorded.toByteArray());
            replay.getOutputStream().flush();
            replay.setSoTimeout(5000);
            InputStream in = replay.getInputStream();
            in.read(); // the reply to the renewal, or -1 when refused: either way n2 has dealt with it
        }
        assertThat(millisSinceRenewalOf("n1", "n2")).as("ms since n1's last renewal at n2 after the replay")
                .isGreaterThanOrEqualTo(before);
    }

    private long uncheckedMillisSince(String node, String at) {
        try {
            return millisSinceRenewalOf(node, at);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aMemberCannotSendABallotOfAnotherNode() throws Exception {
        String g = gtrid("n3");
        PaxosMessage accept = new PaxosMessage.Requests(List.of(new PaxosRequest.Accept(g, new Ballot(7, "n3.x.y.1"),
                PaxosValue.abort())));
        try (TcpTransport n1 = TcpTransport.client(as("n1"), Duration.ofSeconds(2))) {
            try {
                n1.send("n2", accept).get(5, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException refused) {
                // the connection is closed: expected
            }
        }
        assertThat(logs.get("n2").acceptor().slot(g)).as("n2's slot after n1 sent a ballot of n3").isNull();
    }

    @Test
    void theRecoveryToolTakesOverUnderBallotsOfTheIdItAuthenticatedWith() throws Exception {
        String g = gtrid("n1"); // n1 is not running: its transaction has no decision yet
        ClusterConfig tool = ClusterConfig.forTool(ClusterConfig.parseMembers(members), PaxosCluster.SECRET);
        try (ReplicatedCommitLog client = ReplicatedCommitLog.client(tool.self(), tool.members().keySet(),
                TcpTransport.client(tool, Duration.ofSeconds(1)), Duration.ofSeconds(1))) {
            assertThat(client.settle(g)).isEqualTo(io.quorumtx.tm.log.Decision.ABORT);
        }
        Ballot promised = logs.get("n2").acceptor().slot(g).promised();
        assertThat(TransportServer.proposerNode(promised)).as("node of the tool's ballot " + promised)
                .isEqualTo(tool.self());
    }
}
