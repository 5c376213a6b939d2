package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.testkit.TestCertificates;
import io.quorumtx.tm.xid.QuorumXid;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS 1.3 with mutual authentication between members over 127.0.0.1, with certificates keytool
 * makes for this run: commits over TLS (PKCS12 and PEM stores), refusals that name the
 * certificate, the protocol, and a recording proxy that must not see a transaction id.
 */
class TlsTransportTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String TOOL = ClusterConfig.TOOL_PREFIX + "ops";

    @TempDir
    static Path certificates;
    static TestCertificates certs;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCertificates() {
        certs = new TestCertificates(certificates);
        certs.ca("Cluster CA");
        certs.ca("Other CA");
    }

    private static List<String> members() throws IOException {
        List<String> members = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            members.add("n" + i + "=127.0.0.1:" + TcpTransportTest.freePort());
        }
        return members;
    }

    private List<ReplicatedCommitLog> start(List<String> members, Function<String, TlsSettings> tls) {
        List<ReplicatedCommitLog> logs = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            Path data = dir.resolve("n" + i);
            logs.add(ReplicatedCommitLog.open(ReplicatedLogConfig.builder().nodeId("n" + i)
                    .dataDirectory(data).members(members).tls(tls.apply("n" + i))
                    .startMode(Files.isDirectory(data) ? StartMode.RESTART : StartMode.BOOTSTRAP)
                    .requestTimeout(Duration.ofSeconds(2)).commitTimeout(Duration.ofSeconds(10))
                    .lease(Duration.ofSeconds(3)).build()));
        }
        return logs;
    }

    private static String gtrid(int seq) {
        return QuorumXid.formatGtrid("n1", "tls", seq, System.currentTimeMillis());
    }

    private static TlsSettings clusterPkcs12(String node) {
        return TestCertificates.pkcs12(certs.issue("Cluster CA", node), certs.trustStore("Cluster CA"));
    }

    private static void commitAndRead(List<ReplicatedCommitLog> logs, String g) {
        try {
            logs.get(0).logCommit(new CommitRecord(g, List.of(new BranchRecord("a", "a")), 1));
            assertThat(logs.get(2).decision(g)).isEqualTo(Decision.COMMIT);
        } finally {
            logs.forEach(ReplicatedCommitLog::close);
        }
    }

    @Test
    void threeMembersCommitOverTlsWithPkcs12Stores() throws IOException {
        commitAndRead(start(members(), TlsTransportTest::clusterPkcs12), gtrid(1));
    }

    @Test
    void threeMembersCommitOverTlsWithPemStores() throws Exception {
        Function<String, TlsSettings> pem = node -> {
            try {
                return TlsSettings.builder()
                        .keyStore(certs.pemKeyStore(certs.issue("Cluster CA", node)), TlsSettings.StoreType.PEM)
                        .trustStore(certs.caPem("Cluster CA"), TlsSettings.StoreType.PEM).build();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        commitAndRead(start(members(), pem), gtrid(2));
    }

    @Test
    void theRecoveryToolReadsDecisionsWithItsOwnClientCertificate() throws IOException {
        List<String> members = members();
        List<ReplicatedCommitLog> logs = start(members, TlsTransportTest::clusterPkcs12);
        String g = gtrid(3);
        try {
            logs.get(0).logCommit(new CommitRecord(g, List.of(new BranchRecord("a", "a")), 1));
            ClusterConfig tool = new ClusterConfig(TOOL, ClusterConfig.parseMembers(members), new byte[32]);
            try (ReplicatedCommitLog client = ReplicatedCommitLog.client(TOOL, tool.members().keySet(),
                    TcpTransport.client(tool, clusterPkcs12(TOOL), TIMEOUT), TIMEOUT)) {
                Learner read = client.read(g);
                assertThat(read.chosen().isCommit()).isTrue();
                assertThat(read.answered()).hasSizeGreaterThanOrEqualTo(2);
            }
        } finally {
            logs.forEach(ReplicatedCommitLog::close);
        }
    }

    @Test
    void aMemberWithACertificateFromAnotherCaIsRefusedNamingTheCertificate() throws Exception {
        Path foreign = certs.issue("Other CA", "n2");
        assertThat(serverRefusal(foreign).getMessage())
                .contains("CN=n2", "issuer='CN=Other CA'", "serial=", "its issuer is not trusted");
    }

    @Test
    void aCertificateWhoseNodeIdIsNotAMemberIsRefused() throws Exception {
        Path stranger = certs.issue("Cluster CA", "n9");
        assertThat(serverRefusal(stranger).getMessage())
                .contains("CN=n9", "issuer='CN=Cluster CA'", "names node 'n9', which is not a member [n1, n2, n3]");
    }

    @Test
    void anExpiredCertificateIsRefused() throws Exception {
        Path expired = certs.issue("Cluster CA", "n2", "-3d", "1");
        assertThat(serverRefusal(expired).getMessage()).contains("CN=n2", "serial=", "expired (valid until");
        ClusterConfig asN2 = ClusterConfig.forNode("n2", ClusterConfig.parseMembers(members()), new byte[32]);
        assertThatThrownBy(() -> TlsSecurity.create(TestCertificates.pkcs12(expired, certs.trustStore("Cluster CA")),
                asN2, true)).as("a node with an expired certificate of its own does not start")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not valid now");
    }

    @Test
    void aMemberOwnCertificateMustNameItsNodeId() throws IOException {
        List<String> members = members();
        TlsSettings n3 = clusterPkcs12("n3");
        assertThatThrownBy(() -> ReplicatedLogConfig.builder().nodeId("n2").dataDirectory(dir.resolve("n2"))
                .members(members).tls(n3).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("names node 'n3' but nodeId is 'n2'");
    }

    @Test
    @SuppressWarnings("AddressSelection") // a literal IPv4 loopback address; no name resolution happens
    void aServerPresentingAnotherMembersCertificateIsRefusedByTheClient() throws Exception {
        ClusterConfig cluster = ClusterConfig.forNode("n1", ClusterConfig.parseMembers(members()), new byte[32]);
        ClusterConfig asN3 = new ClusterConfig("n3", cluster.members(), new byte[32]);
        TlsSecurity client = TlsSecurity.create(clusterPkcs12("n1"), cluster, true);
        TlsSecurity impostor = TlsSecurity.create(clusterPkcs12("n3"), asN3, true);
        try (ServerSocket server = impostor.openServerSocket(new InetSocketAddress("127.0.0.1", 0))) {
            CompletableFuture<Void> serverSide = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(5000);
                    impostor.authenticateAsServer(s);
                } catch (Exception ignored) {
                    // the client walks away; this side's outcome is not the point
                }
            });
            try (Socket s = client.connect((InetSocketAddress) server.getLocalSocketAddress(), TIMEOUT)) {
                s.setSoTimeout(5000);
                assertThatThrownBy(() -> client.authenticateAsClient(s, "n2"))
                        .isInstanceOf(ConnectionSecurity.Refused.class)
                        .hasMessageContaining("CN=n3")
                        .hasMessageContaining("dialled member 'n2' but the certificate names 'n3'");
            }
            serverSide.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theChannelIsTls13AndATls12ClientIsRefused() throws Exception {
        ClusterConfig cluster = ClusterConfig.forNode("n1", ClusterConfig.parseMembers(members()), new byte[32]);
        TlsSecurity server = TlsSecurity.create(clusterPkcs12("n1"), cluster, true);
        Path n2 = certs.issue("Cluster CA", "n2");
        assertThat(handshake(server, n2, "TLSv1.3")).isEqualTo("n2");
        assertThatThrownBy(() -> handshake(server, n2, "TLSv1.2")).isInstanceOf(ConnectionSecurity.Refused.class)
                .hasMessageContaining("handshake failed");
    }

    @Test
    void aRecordingProxyBetweenTwoNodesSeesNoTransactionId() throws Exception {
        String g = gtrid(7);
        byte[] seen = throughRecordingProxy(g, true);
        assertThat(seen.length).as("bytes the proxy forwarded").isGreaterThan(200);
        assertThat(seen[0]).as("a TLS handshake record").isEqualTo((byte) 0x16);
        assertThat(new String(seen, StandardCharsets.ISO_8859_1)).doesNotContain(g);
        // the same proxy is not blind: without TLS it reads the transaction id
        assertThat(new String(throughRecordingProxy(g, false), StandardCharsets.ISO_8859_1)).contains(g);
    }

    /** The server's refusal of a client presenting {@code clientKeyStore} (which itself trusts the cluster CA). */
    private ConnectionSecurity.Refused serverRefusal(Path clientKeyStore) throws Exception {
        ClusterConfig cluster = ClusterConfig.forNode("n1", ClusterConfig.parseMembers(members()), new byte[32]);
        TlsSecurity server = TlsSecurity.create(clusterPkcs12("n1"), cluster, true);
        try {
            handshake(server, clientKeyStore, "TLSv1.3");
        } catch (ConnectionSecurity.Refused refused) {
            return refused;
        }
        throw new AssertionError("the server accepted " + clientKeyStore);
    }

    /**
     * A raw JSSE client (not {@link TlsSecurity}, which refuses to start with an expired or
     * misnamed certificate of its own) handshakes with {@code server}; the server's verdict.
     */
    @SuppressWarnings("AddressSelection") // a literal IPv4 loopback address; no name resolution happens
    private static String handshake(TlsSecurity server, Path clientKeyStore, String protocol) throws Exception {
        try (ServerSocket listener = server.openServerSocket(new InetSocketAddress("127.0.0.1", 0))) {
            CompletableFuture<Void> client = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) rawContext(clientKeyStore).getSocketFactory()
                        .createSocket("127.0.0.1", listener.getLocalPort())) {
                    s.setEnabledProtocols(new String[] {protocol});
                    s.setSoTimeout(5000);
                    s.startHandshake();
                    s.getInputStream().read(); // TLS 1.3: the server's verdict on this certificate arrives here
                } catch (Exception ignored) {
                    // refused: the server side says why
                }
            });
            try (Socket accepted = listener.accept()) {
                accepted.setSoTimeout(5000); // the transport's part of the contract
                Session session = server.authenticateAsServer(accepted);
                assertThat(session.frameKey()).as("no frame MAC key: TLS protects every record").isNull();
                String id = session.peerNodeId();
                assertThat(((SSLSocket) accepted).getSession().getProtocol()).isEqualTo("TLSv1.3");
                return id;
            } finally {
                client.get(10, TimeUnit.SECONDS);
            }
        }
    }

    private static SSLContext rawContext(Path keyStore) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            keys.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(certs.trustStore("Cluster CA"))) {
            trust.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, TestCertificates.PASSWORD.toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    /**
     * The tool sends an Accept for {@code g} to member n2 through a proxy that records every byte;
     * the proxy's port stands for n2 in the tool's member list (so n2 answers "member lists
     * differ", which is enough: the request crossed the proxy).
     */
    @SuppressWarnings("try") // the server must be listening behind the proxy; the body reaches it through the proxy only
    private byte[] throughRecordingProxy(String g, boolean tls) throws Exception {
        List<String> members = members();
        Map<String, InetSocketAddress> real = ClusterConfig.parseMembers(members);
        byte[] secret = PaxosCluster.SECRET;
        ClusterConfig n2 = ClusterConfig.forNode("n2", real, secret);
        Acceptor acceptor = new Acceptor("n2", real.keySet(), AcceptorLog.bootstrap(dir.resolve("proxy-n2-" + tls), "n2"),
                new AcceptorState.Rules(ReplicatedLogConfig.DEFAULT_TOMBSTONE_RETENTION.toMillis(),
                        ReplicatedLogConfig.DEFAULT_CLOCK_SKEW_MARGIN.toMillis()));
        ByteArrayOutputStream recorded = new ByteArrayOutputStream();
        try (ServerSocket proxy = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             TcpTransport server = tls ? TcpTransport.serve(n2, clusterPkcs12("n2"), acceptor, TIMEOUT)
                     : TcpTransport.serve(n2, acceptor, TIMEOUT)) {
            Thread forwarder = new Thread(() -> forward(proxy, real.get("n2"), recorded), "recording-proxy");
            forwarder.setDaemon(true);
            forwarder.start();
            List<String> viaProxy = new ArrayList<>(members);
            viaProxy.set(1, "n2=127.0.0.1:" + proxy.getLocalPort());
            ClusterConfig tool = new ClusterConfig(TOOL, ClusterConfig.parseMembers(viaProxy), secret);
            try (TcpTransport client = tls ? TcpTransport.client(tool, clusterPkcs12(TOOL), TIMEOUT)
                    : TcpTransport.client(tool, TIMEOUT)) {
                PaxosMessage reply = client.send("n2", new PaxosMessage.Requests(List.of(new PaxosRequest.Accept(g,
                        new Ballot(5, TOOL), PaxosValue.commit(new CommitRecord(g, List.of(
                                new BranchRecord("a", "a")), 1)))))).get(10, TimeUnit.SECONDS);
                assertThat(reply).as("n2's answer through the proxy").isInstanceOf(PaxosMessage.Error.class);
            }
        } finally {
            acceptor.close();
        }
        synchronized (recorded) {
            return recorded.toByteArray();
        }
    }

    /** One connection: client-to-server bytes are recorded, both directions forwarded. */
    private static void forward(ServerSocket proxy, InetSocketAddress target, ByteArrayOutputStream recorded) {
        try (Socket in = proxy.accept(); Socket out = new Socket(target.getHostString(), target.getPort())) {
            Thread back = new Thread(() -> copy(out, in, null), "recording-proxy-back");
            back.setDaemon(true);
            back.start();
            copy(in, out, recorded);
        } catch (IOException e) {
            // the test closed the proxy
        }
    }

    private static void copy(Socket from, Socket to, ByteArrayOutputStream record) {
        byte[] buffer = new byte[8192];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buffer)) > 0; ) {
                if (record != null) {
                    synchronized (record) {
                        record.write(buffer, 0, n);
                    }
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // either side closed
        }
    }
}
