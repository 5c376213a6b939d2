package io.quorumtx.it.realdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.it.support.WrappingStyle;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.recovery.OwnerLiveness;
import io.quorumtx.tm.recovery.Recovery;
import io.quorumtx.tm.recovery.ResolveReport;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The README's "wrongly presumed dead" case on real PostgreSQL databases: the coordinator makes
 * its COMMIT durable and pauses; meanwhile another node, reading the same commit log, takes the
 * transaction over and commits every branch (COMMIT PREPARED from its own connections). When the
 * coordinator resumes, the databases answer its phase 2 with "unknown branch". Its
 * {@code commit()} must return normally, with no heuristic: the transfer committed everywhere.
 *
 * <p>The pause is the crash injector at {@link CrashPoint#AFTER_COMMIT_RECORD} returning only
 * after the other node's recovery ran (the interleaving a SIGSTOP past the lease gives, made
 * deterministic); the shared log stands for the replicated one. With pgjdbc's XADataSource the
 * late commit is answered XAER_RMERR (uncertain: the retrier asks {@code recover()}), with the
 * dialect XAER_NOTA (already committed); before the fix the second threw HeuristicMixedException.
 *
 * <p>Not MariaDB: there a prepared branch stays attached to the session that prepared it, and
 * another session's XA COMMIT is refused ("prepared but held by another session", retried) until
 * that session ends, so a takeover cannot finish a paused node's branches while its connections
 * live; the paused node then commits them itself when it resumes.
 */
class WronglyPresumedDeadRealDbTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(WrappingStyle.class)
    void aCoordinatorWhoseBranchesAnotherNodeCommittedReturnsFromCommitNormally(WrappingStyle style,
            @TempDir Path dir) throws Exception {
        List<Bank> banks = Topology.POSTGRESQL.open(dir, 5);
        String nodeId = "pause-" + UUID.randomUUID().toString().substring(0, 8);
        InMemoryCommitLog log = new InMemoryCommitLog();
        AtomicReference<RealDbCluster> self = new AtomicReference<>();
        List<ResolveReport> takeovers = new ArrayList<>();
        try (RealDbCluster n1 = RealDbCluster.attach(banks, nodeId, null, style, 2, b -> b.commitLog(log)
                .crashInjector((point, gtrid) -> {
                    if (point == CrashPoint.AFTER_COMMIT_RECORD) { // n1 "pauses"; another node takes over
                        List<RecoverableResource> databases = new ArrayList<>();
                        for (int i = 0; i < self.get().size(); i++) {
                            databases.add(self.get().tm().registeredResource(self.get().bank(i).name()));
                        }
                        takeovers.add(new Recovery(log, databases, OwnerLiveness.stoppedNodes(Set.of(nodeId)),
                                Duration.ZERO).resolve(false));
                    }
                }))) {
            self.set(n1);
            n1.tm().begin();
            n1.debit(0, 1, 30);
            n1.credit(1, 2, 30);
            n1.tm().commit(); // before the fix: HeuristicMixedException (XAER_NOTA read as a hazard)

            assertThat(takeovers).singleElement().satisfies(r -> assertThat(r.steps()).hasSize(2).allSatisfy(
                    s -> assertThat(s.outcome()).as("%s", s).isEqualTo(ResolveReport.Outcome.COMMITTED)));
            assertThat(n1.tm().heuristicOutcomes()).isEmpty();
            assertThat(n1.preparedBranches()).isEmpty();
            assertThat(n1.total()).isEqualTo(n1.initialTotal());
            assertThat(banks.get(0).total()).as("the transfer committed in %s", banks.get(0).name())
                    .isEqualTo(banks.get(0).initialTotal() - 30);
            assertThat(banks.get(1).total()).isEqualTo(banks.get(1).initialTotal() + 30);
        } finally {
            for (Bank b : banks) {
                b.cleanUp(nodeId);
            }
        }
    }
}
