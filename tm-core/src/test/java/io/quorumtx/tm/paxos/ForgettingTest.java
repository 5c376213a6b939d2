package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;

import io.quorumtx.tm.xid.QuorumXid;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding 3 of issue 11: forgetting an instance (tombstones expiring by wall clock) must never let
 * it be decided a second time, and every instance, aborted ones included, is forgotten in the end.
 */
class ForgettingTest {
    /** Short timings so tombstones expire within the test: retention is at least six commit timeouts. */
    private static final Duration COMMIT_TIMEOUT = Duration.ofMillis(700);
    private static final Duration RETENTION = Duration.ofMillis(4200);
    private static final Duration MARGIN = Duration.ofMillis(200);

    @TempDir
    Path dir;

    private static PaxosCluster cluster(Path root) {
        return new PaxosCluster(root, 3, Duration.ofSeconds(30), b -> b.requestTimeout(Duration.ofMillis(100))
                .commitTimeout(COMMIT_TIMEOUT).tombstoneRetention(RETENTION).clockSkewMargin(MARGIN));
    }

    private static CommitRecord record(String owner, int seq) {
        String gtrid = QuorumXid.formatGtrid(owner, "e1", seq, System.currentTimeMillis());
        return new CommitRecord(gtrid, List.of(new BranchRecord("db-a", "db-a"), new BranchRecord("db-b", "db-b")),
                System.currentTimeMillis());
    }

    private static int holdingAbort(PaxosCluster c, String gtrid) {
        int n = 0;
        for (String id : c.ids) {
            AcceptorState.Slot slot = c.log(id).acceptor().slot(gtrid);
            if (slot != null && slot.accepted() != null && !slot.accepted().isCommit()) {
                n++;
            }
        }
        return n;
    }

    @Test
    void aLateRoundZeroAcceptAndExpiredTombstonesNeverLetATakeoverChooseAbortForACommit() {
        try (PaxosCluster c = cluster(dir)) {
            CommitRecord t = record("n1", 1);
            c.network.isolate("n3");
            c.log("n1").logCommit(t); // chosen COMMIT by {n1, n2}
            c.log("n1").logEnd(t.gtrid()); // its FINISH never reaches n3
            Poll.until("the tombstones at n1 and n2", Duration.ofSeconds(5),
                    () -> c.log("n1").acceptor().slot(t.gtrid()).finished()
                            && c.log("n2").acceptor().slot(t.gtrid()).finished());
            c.network.heal("n3");
            // n1's round-0 accept, delayed in the network, reaches n3 only now
            PaxosMessage late = new PaxosMessage.Requests(List.of(new PaxosRequest.Accept(t.gtrid(),
                    Ballot.coordinator("n1"), PaxosValue.commit(t))));
            c.log("n3").acceptor().handle("n1", late).join();

            Poll.until("the tombstones at n1 and n2 to expire", Duration.ofSeconds(20),
                    () -> c.log("n1").acceptor().slot(t.gtrid()) == null
                            && c.log("n2").acceptor().slot(t.gtrid()) == null);
            c.network.isolate("n3"); // the takeover's promise quorum is {n1, n2}
            try {
                c.log("n2").settle(t.gtrid());
            } catch (CommitLogException noMajority) {
                // deciding nothing is safe
            }
            c.network.heal("n3");
            assertThat(holdingAbort(c, t.gtrid())).as("acceptors holding ABORT for an instance chosen COMMIT")
                    .isLessThan(2);
        }
    }

    @Test
    void anAbortedInstanceIsForgottenEverywhere() {
        try (PaxosCluster c = cluster(dir)) {
            String gtrid = QuorumXid.formatGtrid("n1", "e1", 7, System.currentTimeMillis());
            c.network.isolate("n1"); // its owner is gone before it logged anything
            assertThat(c.log("n2").settle(gtrid)).isEqualTo(io.quorumtx.tm.log.Decision.ABORT);
            c.network.heal("n1");
            Poll.until("every acceptor to forget the aborted instance " + gtrid, Duration.ofSeconds(20),
                    () -> c.ids.stream().allMatch(id -> c.log(id).acceptor().slot(gtrid) == null));
        }
    }
}
