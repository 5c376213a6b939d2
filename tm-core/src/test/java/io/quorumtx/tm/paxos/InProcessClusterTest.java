package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.xid.QuorumXid;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The public wiring other modules' tests use instead of tm-core's acceptors: {@link InProcessCluster}
 * (peers that only accept, in this JVM), {@link ClusterAccess#unfinishedCommits} over the stopped
 * members' directories, and the own acceptor's figures on {@link ReplicatedCommitLog}. Uses only
 * what is public, as a caller outside the package does.
 */
class InProcessClusterTest {
    private static final byte[] SECRET = "test-secret-0123456789".getBytes(StandardCharsets.UTF_8);
    private static final List<String> MEMBERS = List.of("n1=127.0.0.1:7001", "n2=127.0.0.1:7002", "n3=127.0.0.1:7003");

    @TempDir
    Path dir;

    private ReplicatedLogConfig config(InProcessCluster cluster, String id, StartMode mode) {
        return ReplicatedLogConfig.builder().nodeId(id).dataDirectory(dir.resolve(id)).members(MEMBERS).secret(SECRET)
                .inProcess(cluster).requestTimeout(Duration.ofSeconds(2)).commitTimeout(Duration.ofSeconds(10))
                .lease(Duration.ofSeconds(30)).startMode(mode).build();
    }

    private static CommitRecord commit(int seq) {
        String gtrid = QuorumXid.formatGtrid("n1", "e1", seq, System.currentTimeMillis());
        return new CommitRecord(gtrid, List.of(new BranchRecord("db-a", "db-a")), System.currentTimeMillis());
    }

    @Test
    void peersStartedAloneAcceptAMembersCommitsAndTheirFilesShowWhatIsChosenButUnfinished() {
        CommitRecord open = commit(1);
        CommitRecord ended = commit(2);
        try (InProcessCluster cluster = new InProcessCluster()) {
            cluster.startAcceptor(config(cluster, "n2", StartMode.BOOTSTRAP));
            cluster.startAcceptor(config(cluster, "n3", StartMode.BOOTSTRAP));
            try (ReplicatedCommitLog n1 = ReplicatedCommitLog.open(config(cluster, "n1", StartMode.BOOTSTRAP))) {
                n1.logCommit(open);
                n1.logCommit(ended);
                n1.logEndForced(ended.gtrid());

                assertThat(n1.decision(open.gtrid())).isEqualTo(Decision.COMMIT);
                // A majority without n1's own acceptor may have answered first (n1's answers when it
                // gets its turn on a loaded machine): wait for the forced END to reach it too.
                Poll.until("n1's acceptor holds the END as a tombstone", Duration.ofSeconds(30), () -> {
                    ReplicatedCommitLog.AcceptorCopy copy = n1.acceptorCopy(ended.gtrid());
                    return copy != null && copy.finished();
                });
                ReplicatedCommitLog.AcceptorCounters counters = n1.acceptorCounters();
                assertThat(counters.forces()).as("n1's acceptor forced what it wrote").isPositive();
                assertThat(counters.recordsWritten()).isGreaterThanOrEqualTo(counters.forces());
                assertThat(n1.acceptorCopy("n1.e1.999.0")).as("an instance it never saw").isNull();
                assertThat(n1.rejoinFence()).as("bootstrapped, never rejoined").isEmpty();
            }
        }

        List<String> unfinished = ClusterAccess.unfinishedCommits(Set.of("n1", "n2", "n3"),
                List.of(dir.resolve("n1"), dir.resolve("n2"), dir.resolve("n3")));

        assertThat(unfinished).containsExactly(open.gtrid());
    }

    @Test
    void aPeerRestartsOnItsFilesAndTheClusterReleasesItsDirectoryOnClose() {
        try (InProcessCluster cluster = new InProcessCluster()) {
            cluster.startAcceptor(config(cluster, "n2", StartMode.BOOTSTRAP));
            assertThatThrownBy(() -> cluster.startAcceptor(config(cluster, "n2", StartMode.RESTART)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already runs here");
        }
        try (InProcessCluster again = new InProcessCluster()) {
            again.startAcceptor(config(again, "n2", StartMode.RESTART)); // the lock was released by close()
        }
    }

    @Test
    void aConfigurationNamingAnotherClusterIsRefused() {
        try (InProcessCluster cluster = new InProcessCluster(); InProcessCluster other = new InProcessCluster()) {
            assertThatThrownBy(() -> cluster.startAcceptor(config(other, "n2", StartMode.BOOTSTRAP)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must name this cluster");
        }
    }
}
