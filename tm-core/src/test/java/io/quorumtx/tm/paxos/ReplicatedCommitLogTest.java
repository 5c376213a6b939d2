package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;

import io.quorumtx.tm.xid.QuorumXid;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicatedCommitLogTest {

    @TempDir
    Path dir;

    private static int seq;

    private static CommitRecord record(String owner) {
        String gtrid = QuorumXid.formatGtrid(owner, "e1", ++seq, System.currentTimeMillis());
        return new CommitRecord(gtrid, List.of(new BranchRecord("db-a", "db-a"), new BranchRecord("db-b", "db-b")),
                System.currentTimeMillis());
    }

    @Test
    void aCommitIsDurableOnAMajorityAndVisibleToEveryOtherNode() {
        try (PaxosCluster c = new PaxosCluster(dir, 3, Duration.ofSeconds(30))) {
            CommitRecord r = record("n1");
            c.log("n1").logCommit(r);
            assertThat(c.log("n1").unfinished()).containsExactly(r);
            assertThat(c.log("n2").decision(r.gtrid())).isEqualTo(Decision.COMMIT);
            assertThat(c.log("n3").decision(r.gtrid())).isEqualTo(Decision.COMMIT);
            int accepted = 0;
            for (String id : c.ids) {
                AcceptorState.Slot slot = c.log(id).acceptor().slot(r.gtrid());
                if (slot != null && slot.accepted() != null && slot.accepted().commit().equals(r)) {
                    accepted++;
                }
            }
            assertThat(accepted).as("acceptors holding the COMMIT").isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void commitsGoOnWithOneAcceptorDownAndBlockWithoutAMajority() {
        try (PaxosCluster c = new PaxosCluster(dir, 3, Duration.ofSeconds(30))) {
            c.network.isolate("n3");
            CommitRecord r1 = record("n1");
            c.log("n1").logCommit(r1);
            assertThat(c.log("n2").decision(r1.gtrid())).isEqualTo(Decision.COMMIT);

            c.network.isolate("n2");
            CommitRecord r2 = record("n1");
            assertThatThrownBy(() -> c.log("n1").logCommit(r2)).isInstanceOf(CommitLogException.class)
                    .hasMessageContaining("No majority").hasMessageContaining("in doubt")
                    .satisfies(e -> assertThat(((CommitLogException) e).definitelyNotWritten()).isFalse());

            c.network.heal("n2");
            c.network.heal("n3");
            // Once a majority is back, the in-doubt transaction gets exactly one outcome, the same everywhere.
            Decision settled = c.log("n2").settle(r2.gtrid());
            assertThat(settled).isIn(Decision.COMMIT, Decision.ABORT);
            assertThat(c.log("n3").decision(r2.gtrid())).isEqualTo(settled);
            assertThat(c.log("n1").settle(r2.gtrid())).isEqualTo(settled);
        }
    }

    @Test
    void aTakeoverCarriesOnAnAcceptedCommitOfADeadCoordinator() {
        try (PaxosCluster c = new PaxosCluster(dir, 3, Duration.ofSeconds(30))) {
            CommitRecord r = record("n1");
            c.log("n1").logCommit(r);
            c.stop("n1");
            assertThat(c.log("n2").settle(r.gtrid())).isEqualTo(Decision.COMMIT);
            assertThat(c.log("n2").unfinished()).as("n2 now finishes it").containsExactly(r);
            c.log("n2").logEndForced(r.gtrid());
            assertThat(c.log("n3").acceptor().slot(r.gtrid()).finished()).isTrue();
            assertThat(c.log("n3").settle(r.gtrid())).as("the tombstone still answers").isEqualTo(Decision.COMMIT);
        }
    }

    @Test
    void aSlowCoordinatorObeysAnAbortChosenByATakeover() {
        try (PaxosCluster c = new PaxosCluster(dir, 3, Duration.ofSeconds(30))) {
            CommitRecord r = record("n1");
            // n2 presumed n1 dead before n1 proposed anything: ABORT is chosen.
            assertThat(c.log("n2").settle(r.gtrid())).isEqualTo(Decision.ABORT);
            assertThatThrownBy(() -> c.log("n1").logCommit(r)).isInstanceOf(CommitLogException.class)
                    .hasMessageContaining("decided ABORT through Paxos")
                    .satisfies(e -> assertThat(((CommitLogException) e).definitelyNotWritten()).isTrue());
            assertThat(c.log("n3").decision(r.gtrid())).isEqualTo(Decision.ABORT);
            assertThat(c.log("n1").unfinished()).isEmpty();
        }
    }

    @Test
    void concurrentCommitsShareMessagesAndForces() throws Exception {
        try (PaxosCluster c = new PaxosCluster(dir, 3, Duration.ofSeconds(30))) {
            ExecutorService pool = Executors.newFixedThreadPool(16);
            AtomicInteger done = new AtomicInteger();
            try {
                List<Future<?>> futures = new java.util.ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < 50; i++) {
                            CommitRecord r = record("n1");
                            c.log("n1").logCommit(r);
                            c.log("n1").logEnd(r.gtrid());
                            done.incrementAndGet();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(done.get()).isEqualTo(800);
            long forces = c.log("n2").acceptor().forces();
            assertThat(forces).as("n2's forces for 800 commits and their ENDs").isLessThan(1600);
        }
    }

    @Test
    void aLapsedLeaseIsSeenByTheOthersAndTriggersATakeover() {
        // A 3 s lease: n3, alive, must not be seen lapsed just because its renewals waited for a CPU.
        try (PaxosCluster c = new PaxosCluster(dir, 3, Duration.ofSeconds(3))) {
            CommitRecord r = record("n1");
            c.log("n1").logCommit(r);
            AtomicInteger triggered = new AtomicInteger();
            c.log("n2").onTakeoverNeeded(triggered::incrementAndGet);
            Poll.until("n1's lease is live at n2", Duration.ofSeconds(15), () -> !c.log("n2").isOwnerLeaseLapsed("n1"));
            c.stop("n1");
            Poll.until("n2 sees n1's lease lapse and takes over", Duration.ofSeconds(30),
                    () -> c.log("n2").isOwnerLeaseLapsed("n1") && triggered.get() > 0);
            assertThat(c.log("n2").unfinished()).as("n1's unfinished commit, settled by n2").contains(r);
            assertThat(c.log("n2").isOwnerLeaseLapsed("n3")).isFalse();
        }
    }

    @Test
    void aRestartedNodeFindsItsOwnUnfinishedCommits() {
        CommitRecord r = record("n1");
        try (PaxosCluster c = new PaxosCluster(dir, 3, Duration.ofSeconds(30))) {
            c.log("n1").logCommit(r);
            c.stop("n1");
            ReplicatedCommitLog restarted = c.start("n1");
            assertThat(restarted.unfinished()).containsExactly(r);
            assertThat(restarted.decision(r.gtrid())).isEqualTo(Decision.COMMIT);
        }
    }

    @Test
    void branchDoneIsReplicatedWithTheInstance() {
        try (PaxosCluster c = new PaxosCluster(dir, 3, Duration.ofSeconds(30))) {
            CommitRecord r = record("n1");
            c.log("n1").logCommit(r);
            BranchRecord a = r.branches().get(0);
            c.log("n1").logBranchDone(r.gtrid(), a);
            assertThat(c.log("n1").isBranchDone(r.gtrid(), a)).isTrue();
            assertThat(c.log("n1").isBranchDone(r.gtrid(), r.branches().get(1))).isFalse();
            int holding = 0;
            for (String id : c.ids) {
                AcceptorState.Slot slot = c.log(id).acceptor().slot(r.gtrid());
                if (slot != null && slot.done().contains(a)) {
                    holding++;
                }
            }
            assertThat(holding).isGreaterThanOrEqualTo(2);
        }
    }
}
