package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.xid.QuorumXid;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding 1 of issue 11: a member that lost its disk must not vote again in what it voted in before. */
class AcceptorAmnesiaTest {

    @TempDir
    Path dir;

    private static CommitRecord record(String owner, int seq, long beginMillis) {
        String gtrid = QuorumXid.formatGtrid(owner, "e1", seq, beginMillis);
        return new CommitRecord(gtrid, List.of(new BranchRecord("db-a", "db-a"), new BranchRecord("db-b", "db-b")),
                System.currentTimeMillis());
    }

    /** The scenario: n1's COMMIT accepted by {n1, n2}; n1 paused; n2's disk replaced; n3 takes over. */
    @Test
    void aMemberWhoseDiskWasReplacedCannotHelpATakeoverAbortAChosenCommit() throws Exception {
        try (PaxosCluster c = new PaxosCluster(dir, 3, Duration.ofSeconds(30))) {
            CommitRecord t = record("n1", 1, System.currentTimeMillis());
            c.network.isolate("n3"); // the round-0 accepts reach exactly the bare majority {n1, n2}
            c.log("n1").logCommit(t);
            c.network.heal("n3");
            assertThat(c.log("n3").acceptor().slot(t.gtrid())).as("n3 never heard of T").isNull();

            c.network.isolate("n1"); // n1 pauses longer than its lease
            c.stop("n2");
            PaxosCluster.deleteRecursively(dir.resolve("n2")); // n2's volume is replaced
            c.start("n2", StartMode.REJOIN);

            Decision settled;
            try {
                settled = c.log("n3").settle(t.gtrid());
            } catch (CommitLogException noMajority) {
                settled = Decision.UNKNOWN; // no decision without n1: the safe outcome
            }
            assertThat(settled).as("the takeover of an instance chosen COMMIT").isNotEqualTo(Decision.ABORT);

            c.network.heal("n1");
            assertThat(c.log("n3").settle(t.gtrid())).isEqualTo(Decision.COMMIT);
        }
    }

    @Test
    void anOrdinaryRestartOnAWipedDirectoryIsRefusedNamingBothWaysToStart() throws Exception {
        try (PaxosCluster c = new PaxosCluster(dir, 3, Duration.ofSeconds(30))) {
            c.stop("n2");
            PaxosCluster.deleteRecursively(dir.resolve("n2"));
            assertThatThrownBy(() -> c.start("n2")).isInstanceOf(CommitLogException.class)
                    .hasMessageContaining(dir.resolve("n2").toString()).hasMessageContaining("does not exist")
                    .hasMessageContaining("StartMode.BOOTSTRAP").hasMessageContaining("StartMode.REJOIN");
            assertThat(dir.resolve("n2")).doesNotExist();
        }
    }

    @Test
    void rejoinAndBootstrapAreRefusedOnADirectoryThatHoldsState() {
        try (PaxosCluster c = new PaxosCluster(dir, 3, Duration.ofSeconds(30))) {
            c.log("n1").logCommit(record("n1", 1, System.currentTimeMillis()));
            c.stop("n2");
            for (StartMode mode : List.of(StartMode.REJOIN, StartMode.BOOTSTRAP)) {
                assertThatThrownBy(() -> c.start("n2", mode)).isInstanceOf(CommitLogException.class)
                        .hasMessageContaining("already holds").hasMessageContaining("StartMode.RESTART");
            }
            c.start("n2"); // the directory is intact: an ordinary restart
        }
    }

    @Test
    void aRejoinedMemberLeavesOlderTransactionsToTheOthersAndVotesInNewOnesAfterItsFence() throws Exception {
        Duration margin = Duration.ofMillis(200);
        try (PaxosCluster c = new PaxosCluster(dir, 3, Duration.ofSeconds(30), b -> b.clockSkewMargin(margin))) {
            c.stop("n2");
            PaxosCluster.deleteRecursively(dir.resolve("n2"));
            long beforeRejoin = System.currentTimeMillis();
            c.start("n2", StartMode.REJOIN);
            AcceptorRecord.Rejoined fence = c.log("n2").acceptor().rejoined();
            assertThat(fence.fenceMillis()).isEqualTo(fence.rejoinedAtMillis() + margin.toMillis());

            CommitRecord older = record("n1", 1, beforeRejoin);
            c.log("n1").logCommit(older); // n1 and n3 decide it
            assertThat(c.log("n2").acceptor().slot(older.gtrid())).as("the fenced member holds nothing of it").isNull();
            PaxosReply reply = ((PaxosMessage.Replies) c.log("n2").acceptor().handle("n1", new PaxosMessage.Requests(
                    List.of(new PaxosRequest.Prepare(older.gtrid(), new Ballot(5, "n1.x"))))).join()).replies().get(0);
            assertThat(reply.kind()).isEqualTo(PaxosReply.Kind.FENCED);
            assertThat(reply.ok()).isFalse();

            CommitRecord newer = record("n1", 2, fence.fenceMillis());
            c.network.isolate("n3");
            c.log("n1").logCommit(newer); // needs n2's vote: it began at the fence
            assertThat(c.log("n2").acceptor().slot(newer.gtrid()).accepted().commit()).isEqualTo(newer);

            c.stop("n2");
            c.start("n2"); // the fence is durable: an ordinary restart keeps it
            assertThat(c.log("n2").acceptor().rejoined()).isEqualTo(fence);
            assertTheToolSeesTheFence(c, fence);
        }
    }

    /** The recovery tool's view: probeReplicas names the rejoined member and its fence. */
    private static void assertTheToolSeesTheFence(PaxosCluster c, AcceptorRecord.Rejoined fence) {
        try (ReplicatedCommitLog tool = ReplicatedCommitLog.client("tool", java.util.Set.copyOf(c.ids),
                c.network.transportFor("tool"), Duration.ofSeconds(1))) {
            var replicas = tool.probeReplicas();
            assertThat(replicas.get("n1")).isEqualTo(ReplicatedCommitLog.ANSWERED);
            assertThat(replicas.get("n2")).startsWith(ReplicatedCommitLog.ANSWERED + "; rejoined at "
                    + java.time.Instant.ofEpochMilli(fence.rejoinedAtMillis())).contains("fence "
                    + java.time.Instant.ofEpochMilli(fence.fenceMillis()));
        }
    }
}
