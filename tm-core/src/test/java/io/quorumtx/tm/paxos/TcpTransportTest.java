package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.xid.QuorumXid;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three members over real TCP on 127.0.0.1, and what happens to messages that must be refused. */
class TcpTransportTest {
    /**
     * Long enough that a live member renewing every third of it is never seen lapsed because its
     * threads waited for a CPU on a loaded 2-core machine: only a stall of two seconds would do.
     */
    private static final Duration LEASE = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    private final List<String> members = new ArrayList<>();
    private final Map<String, ReplicatedCommitLog> logs = new LinkedHashMap<>();

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @BeforeEach
    void start() throws IOException {
        for (int i = 1; i <= 3; i++) {
            members.add("n" + i + "=127.0.0.1:" + freePort());
        }
        for (int i = 1; i <= 3; i++) {
            logs.put("n" + i, ReplicatedCommitLog.open(ReplicatedLogConfig.builder().nodeId("n" + i)
                    .dataDirectory(dir.resolve("n" + i)).members(members).secret(PaxosCluster.SECRET)
                    .requestTimeout(Duration.ofSeconds(1)).commitTimeout(Duration.ofSeconds(5))
                    .lease(LEASE).startMode(StartMode.BOOTSTRAP).build()));
        }
    }

    @AfterEach
    void stop() {
        logs.values().forEach(ReplicatedCommitLog::close);
    }

    private static String gtrid(int seq) {
        return QuorumXid.formatGtrid("n1", "e1", seq, System.currentTimeMillis());
    }

    private static PaxosMessage acceptFor(String gtrid) {
        return new PaxosMessage.Requests(List.of(new PaxosRequest.Accept(gtrid, new Ballot(5, "evil"),
                PaxosValue.commit(new CommitRecord(gtrid, List.of(new BranchRecord("a", "a")), 1)))));
    }

    @Test
    void aCommitTravelsOverTcpToAMajority() {
        String g = gtrid(1);
        logs.get("n1").logCommit(new CommitRecord(g, List.of(new BranchRecord("a", "a")), 1));
        assertThat(logs.get("n3").decision(g)).isEqualTo(Decision.COMMIT);
        long holding = logs.values().stream().map(l -> l.acceptor().slot(g))
                .filter(slot -> slot != null && slot.accepted() != null && slot.accepted().isCommit()).count();
        assertThat(holding).as("acceptors holding the COMMIT (a majority at least)").isGreaterThanOrEqualTo(2);
    }

    @Test
    void aMessageWithTheWrongSecretIsRefusedAndChangesNothing() throws Exception {
        String g = gtrid(2);
        ClusterConfig wrong = ClusterConfig.forNode("n1", ClusterConfig.parseMembers(members),
                "another-secret-0123456789".getBytes(StandardCharsets.UTF_8));
        try (TcpTransport client = TcpTransport.client(wrong, Duration.ofSeconds(2))) {
            assertThatThrownBy(() -> client.send("n2", acceptFor(g)).get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasMessageContaining("closed the connection");
        }
        assertThat(logs.get("n2").acceptor().slot(g)).isNull();
    }

    @Test
    void aSenderThatIsNotAMemberIsRefused() throws Exception {
        String g = gtrid(3);
        ClusterConfig intruder = new ClusterConfig("intruder", ClusterConfig.parseMembers(members), PaxosCluster.SECRET);
        try (TcpTransport client = TcpTransport.client(intruder, Duration.ofSeconds(2))) {
            assertThatThrownBy(() -> client.send("n2", acceptFor(g)).get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class);
        }
        assertThat(logs.get("n2").acceptor().slot(g)).isNull();
    }

    @Test
    void aNodeWithAnotherMemberListGetsAClearErrorAndChangesNothing() throws Exception {
        String g = gtrid(4);
        List<String> more = new ArrayList<>(members);
        more.add("n4=127.0.0.1:" + freePort());
        more.add("n5=127.0.0.1:" + freePort());
        ClusterConfig other = ClusterConfig.forNode("n1", ClusterConfig.parseMembers(more), PaxosCluster.SECRET);
        try (TcpTransport client = TcpTransport.client(other, Duration.ofSeconds(2))) {
            PaxosMessage reply = client.send("n2", acceptFor(g)).get(5, TimeUnit.SECONDS);
            assertThat(reply).isInstanceOf(PaxosMessage.Error.class);
            assertThat(((PaxosMessage.Error) reply).message()).contains("member lists differ");
        }
        assertThat(logs.get("n2").acceptor().slot(g)).isNull();
    }

    @Test
    void aMalformedFrameClosesItsConnectionAndTheAcceptorServesOthersOn() throws Exception {
        InetSocketAddress n2 = ClusterConfig.parseMembers(members).get("n2");
        try (Socket s = new Socket(n2.getHostString(), n2.getPort())) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(Integer.MAX_VALUE); // an impossible length
            out.flush();
            s.setSoTimeout(5000);
            assertThat(new DataInputStream(s.getInputStream()).read()).as("the server closed the connection").isEqualTo(-1);
        }
        String g = gtrid(5);
        logs.get("n1").logCommit(new CommitRecord(g, List.of(new BranchRecord("a", "a")), 1));
        assertThat(logs.get("n2").decision(g)).isEqualTo(Decision.COMMIT);
    }

    @Test
    void theRecoveryToolReadsDecisionsAsAClient() throws IOException {
        String g = gtrid(6);
        logs.get("n1").logCommit(new CommitRecord(g, List.of(new BranchRecord("a", "a")), 1));
        ClusterConfig tool = ClusterConfig.forTool(ClusterConfig.parseMembers(members), PaxosCluster.SECRET);
        try (ReplicatedCommitLog client = ReplicatedCommitLog.client(tool.self(), tool.members().keySet(),
                TcpTransport.client(tool, Duration.ofSeconds(1)), Duration.ofSeconds(1))) {
            Learner read = client.read(g);
            assertThat(read.chosen().isCommit()).isTrue();
            assertThat(read.answered()).hasSizeGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void liveMembersKeepTheirLeasesOverTcpAndADeadOneLosesIt() throws Exception {
        // Two lease lengths: a member that renews is never seen lapsed by the others.
        long until = System.nanoTime() + LEASE.multipliedBy(2).toNanos();
        while (System.nanoTime() < until) {
            for (String observer : List.of("n1", "n2", "n3")) {
                for (String node : List.of("n1", "n2", "n3")) {
                    assertThat(logs.get(observer).isOwnerLeaseLapsed(node)).as(observer + " sees " + node + " lapsed")
                            .isFalse();
                }
            }
            Thread.sleep(50); // sampling the lease view over a time span is the test
        }
        logs.remove("n3").close();
        Poll.until("n1 sees the lease of the closed n3 lapse", LEASE.multipliedBy(10),
                () -> logs.get("n1").isOwnerLeaseLapsed("n3"));
        assertThat(logs.get("n1").isOwnerLeaseLapsed("n2")).isFalse();
    }
}
