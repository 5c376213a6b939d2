package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;

import io.quorumtx.tm.xid.QuorumXid;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptor state stays bounded (issue 11, finding 3): a run of commits, aborts chosen by
 * takeovers, and commits whose FINISH missed an acceptor that a late accept then reached; every
 * acceptor must end up holding nothing once the horizon has passed. Prints the figures. Runs
 * {@code -Dquorumtx.paxos.footprint.seconds=N} (default 3) of transactions.
 */
class AcceptorFootprintTest {
    private static final Duration RETENTION = Duration.ofMillis(4200);
    private static final Duration MARGIN = Duration.ofMillis(200);

    @TempDir
    Path dir;

    @Test
    void everyAcceptorForgetsEveryInstanceOnceTheHorizonHasPassed() {
        long seconds = Long.getLong("quorumtx.paxos.footprint.seconds", 3);
        try (PaxosCluster c = new PaxosCluster(dir, 3, Duration.ofSeconds(60), b -> b
                .commitTimeout(Duration.ofMillis(700)).tombstoneRetention(RETENTION).clockSkewMargin(MARGIN))) {
            long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            int commits = 0;
            int aborts = 0;
            int stragglers = 0;
            int maxInstances = 0;
            for (int i = 1; System.nanoTime() < end; i++) {
                String gtrid = QuorumXid.formatGtrid("n1", "e1", i, System.currentTimeMillis());
                if (i % 3 == 0) {
                    // n1 died before logging: a takeover chooses ABORT
                    assertThat(c.log("n2").settle(gtrid)).isEqualTo(Decision.ABORT);
                    aborts++;
                } else {
                    CommitRecord r = new CommitRecord(gtrid, List.of(new BranchRecord("a", "a")),
                            System.currentTimeMillis());
                    boolean straggle = i % 20 == 1;
                    if (straggle) {
                        c.network.isolate("n3");
                    }
                    c.log("n1").logCommit(r);
                    c.log("n1").logEnd(r.gtrid());
                    if (straggle) {
                        c.network.heal("n3"); // n3 missed the FINISH, and n1's round-0 accept reaches it late
                        c.log("n3").acceptor().handle("n1", new PaxosMessage.Requests(List.of(new PaxosRequest.Accept(
                                gtrid, Ballot.coordinator("n1"), PaxosValue.commit(r))))).join();
                        stragglers++;
                    }
                    commits++;
                }
                if (i % 100 == 0) {
                    for (String id : c.ids) {
                        maxInstances = Math.max(maxInstances, c.log(id).acceptor().footprint().instances());
                    }
                }
            }
            StringBuilder figures = new StringBuilder(String.format(Locale.ROOT, "Acceptor footprint after %d s: %d"
                    + " commits, %d aborts, %d stragglers; at most %d instances held by one acceptor during the run",
                    seconds, commits, aborts, stragglers, maxInstances));
            for (String id : c.ids) {
                Acceptor.Footprint f = c.log(id).acceptor().footprint();
                figures.append(String.format(Locale.ROOT, "; %s: %d instances, file %d bytes", id, f.instances(),
                        f.fileBytes()));
            }
            Poll.until("every acceptor to forget every instance past the horizon", RETENTION.plus(MARGIN)
                    .multipliedBy(3).plusSeconds(20), () -> c.ids.stream()
                    .allMatch(id -> c.log(id).acceptor().footprint().instances() == 0));
            System.out.println(figures + "; all forgotten afterwards");
        }
    }
}
