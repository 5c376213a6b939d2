package io.quorumtx.recovery.cli;

import static io.quorumtx.recovery.testing.CliRun.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.recovery.testing.CliRun.Result;
import io.quorumtx.recovery.testing.CrashedBranches;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.paxos.ClusterConfig;
import io.quorumtx.tm.paxos.ReplicatedCommitLog;
import io.quorumtx.tm.paxos.ReplicatedLogConfig;
import io.quorumtx.tm.paxos.StartMode;
import io.quorumtx.tm.testkit.TestCertificates;
import io.quorumtx.tm.xid.QuorumXid;
import io.quorumtx.tm.xid.XidFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tool against a cluster running TLS: it connects with its own client certificate (CN
 * quorumtx-tool-...), and is refused with a member's certificate or one of another CA.
 */
class ReplicatedLogToolTlsTest {
    private static final String TOOL = ClusterConfig.TOOL_PREFIX + "ops";

    @TempDir
    static Path certificates;
    static TestCertificates certs;

    @TempDir
    Path dir;

    private final List<String> members = new ArrayList<>();
    private final List<ReplicatedCommitLog> running = new ArrayList<>();
    private String url;
    private java.sql.Connection keepOpen;
    private String committed;

    @BeforeAll
    static void makeCertificates() {
        certs = new TestCertificates(certificates);
        certs.ca("Cluster CA");
        certs.ca("Other CA");
    }

    @BeforeEach
    void clusterOverTls() throws Exception {
        for (int i = 1; i <= 3; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                members.add("n" + i + "=127.0.0.1:" + s.getLocalPort());
            }
        }
        url = H2Bank.url(dir, "bank-a");
        H2Bank.createAccounts(url, "sa", "", 100, 100, 100);
        keepOpen = java.sql.DriverManager.getConnection(url, "sa", "");
        committed = new XidFactory("n1").newGtrid();
        CrashedBranches.prepare(url, "sa", "", new QuorumXid(committed, "bank-a"), 1, -25);
        List<ReplicatedLogConfig> configs = new ArrayList<>(); // certificates first: keytool is slow
        for (int i = 1; i <= 3; i++) {
            String id = "n" + i;
            Path data = dir.resolve(id);
            configs.add(ReplicatedLogConfig.builder().nodeId(id).dataDirectory(data).members(members)
                    .startMode(Files.isDirectory(data) ? StartMode.RESTART : StartMode.BOOTSTRAP)
                    .tls(TestCertificates.pkcs12(certs.issue("Cluster CA", id), certs.trustStore("Cluster CA")))
                    .build());
        }
        configs.forEach(c -> running.add(ReplicatedCommitLog.open(c)));
        running.get(0).logCommit(new CommitRecord(committed, List.of(new BranchRecord("bank-a", "bank-a")),
                System.currentTimeMillis()));
    }

    @AfterEach
    void stop() throws Exception {
        running.forEach(ReplicatedCommitLog::close);
        keepOpen.close();
    }

    private Path toolConfig(Path keyStore, String caName) throws Exception {
        Path file = dir.resolve("recovery.properties");
        Files.write(file, List.of("paxos.members=" + String.join(",", members), "database.bank-a.url=" + url,
                "database.bank-a.user=sa", "database.bank-a.dialect=h2", "paxos.tls.keystore=" + keyStore,
                "paxos.tls.keystore.password.env=TOOL_KEYSTORE_PASSWORD", "paxos.tls.truststore="
                + certs.caPem(caName), "paxos.tls.truststore.type=pem"));
        return file;
    }

    @Test
    void theToolReadsEveryReplicaOverTlsWithItsOwnCertificate() throws Exception {
        Result scan = cli().env("TOOL_KEYSTORE_PASSWORD", TestCertificates.PASSWORD)
                .run("scan", "--config", toolConfig(certs.issue("Cluster CA", TOOL), "Cluster CA").toString());
        assertThat(scan.out()).as(scan.toString()).contains("n1 answered", "n2 answered", "n3 answered")
                .contains(committed);
    }

    @Test
    void theToolWithAMembersCertificateIsRefusedAndChangesNothing() throws Exception {
        Result scan = cli().env("TOOL_KEYSTORE_PASSWORD", TestCertificates.PASSWORD)
                .run("resolve", "--config", toolConfig(certs.issue("Cluster CA", "n2"), "Cluster CA").toString(),
                        "--yes");
        assertThat(scan.exit()).as(scan.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(scan.err()).contains("names 'n2'; the tool needs its own certificate").containsIgnoringCase("nothing was changed");
        assertThat(H2Bank.inDoubt(url)).isEqualTo(1);
    }

    @Test
    void theToolWithACertificateOfAnotherCaReachesNoReplica() throws Exception {
        Result scan = cli().env("TOOL_KEYSTORE_PASSWORD", TestCertificates.PASSWORD)
                .run("resolve", "--config", toolConfig(certs.issue("Other CA", TOOL), "Other CA").toString(), "--yes");
        assertThat(scan.exit()).as(scan.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(scan.err()).contains("Only 0 of 3 replicas");
        assertThat(H2Bank.inDoubt(url)).isEqualTo(1);
    }
}
