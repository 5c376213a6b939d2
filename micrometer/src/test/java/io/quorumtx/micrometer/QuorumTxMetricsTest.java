package io.quorumtx.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.spi.TransactionOutcome;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.xid.QuorumXid;
import io.quorumtx.testsupport.Poll;
import jakarta.transaction.HeuristicMixedException;
import jakarta.transaction.RollbackException;
import jakarta.transaction.SystemException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.transaction.xa.XAException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The meters count what really happened to real transactions over scripted resources. */
class QuorumTxMetricsTest {

    private final InMemoryCommitLog log = new InMemoryCommitLog();
    private final QuorumTransactionManager tm = manager(QuorumTransactionManager.builder().commitLog(log));
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final QuorumTxMetrics metrics = new QuorumTxMetrics(tm, Tags.of("app", "bank"));

    static QuorumTransactionManager manager(io.quorumtx.tm.QuorumTransactionManagerBuilder builder) {
        return builder.nodeId("n1").reaperInterval(Duration.ofMillis(20))
                .phase2Retry(Duration.ofMillis(5), Duration.ofMillis(40)).recoveryInterval(Duration.ZERO).build();
    }

    @AfterEach
    void close() {
        metrics.close();
        tm.close();
    }

    private double transactions(TransactionOutcome outcome) {
        return registry.get(QuorumTxMetrics.TRANSACTIONS).tags("outcome", outcome.tagValue(), "node", "n1", "app", "bank")
                .counter().count();
    }

    private long commits(TransactionOutcome outcome) {
        return registry.get(QuorumTxMetrics.COMMIT).tag("outcome", outcome.tagValue()).timer().count();
    }

    private Timer phase(String phase) {
        return registry.get(QuorumTxMetrics.COMMIT_PHASE).tag("phase", phase).timer();
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    private void commitAcross(ScriptedXAResource... resources) throws Exception {
        tm.begin();
        for (ScriptedXAResource r : resources) {
            tm.getTransaction().enlistResource(r);
        }
        tm.commit();
    }

    @Test
    void everyOutcomeIsCountedOnceAndOnlyWhatHappenedIsCounted() throws Exception {
        metrics.bindTo(registry);

        commitAcross(new ScriptedXAResource("a"), new ScriptedXAResource("b"));          // committed, 2PC
        commitAcross(new ScriptedXAResource("a"));                                      // committed, 1PC
        assertThatThrownBy(() -> commitAcross(new ScriptedXAResource("a"), new ScriptedXAResource("b").voteNo()))
                .isInstanceOf(RollbackException.class);                                 // rolled back by a NO vote
        tm.begin();
        tm.getTransaction().enlistResource(new ScriptedXAResource("a"));
        tm.rollback();                                                                  // rolled back by the application
        assertThatThrownBy(() -> commitAcross(new ScriptedXAResource("a"),
                new ScriptedXAResource("b").fail(ScriptedXAResource.Op.COMMIT, XAException.XA_HEURRB, 1)))
                .isInstanceOf(HeuristicMixedException.class);                           // heuristic
        log.failNextCommit(false);
        assertThatThrownBy(() -> commitAcross(new ScriptedXAResource("a"), new ScriptedXAResource("b")))
                .isInstanceOf(SystemException.class);                                   // in doubt

        assertThat(transactions(TransactionOutcome.COMMITTED)).isEqualTo(2);
        assertThat(transactions(TransactionOutcome.ROLLED_BACK)).isEqualTo(2);
        assertThat(transactions(TransactionOutcome.HEURISTIC)).isEqualTo(1);
        assertThat(transactions(TransactionOutcome.IN_DOUBT)).isEqualTo(1);
        assertThat(transactions(TransactionOutcome.TIMED_OUT)).isZero();
        // The commit timer times the protocol only: the application's rollback ran none.
        assertThat(commits(TransactionOutcome.COMMITTED)).isEqualTo(2);
        assertThat(commits(TransactionOutcome.ROLLED_BACK)).isEqualTo(1);
        assertThat(commits(TransactionOutcome.HEURISTIC)).isEqualTo(1);
        assertThat(commits(TransactionOutcome.IN_DOUBT)).isEqualTo(1);
        // Votes: 2PC commit, NO vote, heuristic, in doubt. Decisions: 2PC, heuristic, in doubt (attempted).
        // Phase 2: 2PC commit, the 1PC commit, heuristic.
        assertThat(phase("prepare").count()).isEqualTo(4);
        assertThat(phase("log").count()).isEqualTo(3);
        assertThat(phase("phase2").count()).isEqualTo(3);
        assertThat(gauge(QuorumTxMetrics.HEURISTICS_WAITING)).isEqualTo(1);
        tm.acknowledgeHeuristicOutcomes(tm.heuristicOutcomesWaiting());
        assertThat(gauge(QuorumTxMetrics.HEURISTICS_WAITING)).isZero();
    }

    @Test
    void aTransactionTheReaperRollsBackCountsAsTimedOutOnce() throws Exception {
        metrics.bindTo(registry);
        tm.setTransactionTimeout(1);
        tm.begin();
        tm.getTransaction().enlistResource(new ScriptedXAResource("a"));

        Poll.until("the reaper rolled the transaction back", Duration.ofSeconds(20),
                () -> transactions(TransactionOutcome.TIMED_OUT) == 1);
        assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class);

        assertThat(transactions(TransactionOutcome.TIMED_OUT)).isEqualTo(1);
        assertThat(transactions(TransactionOutcome.ROLLED_BACK)).isZero();
        assertThat(commits(TransactionOutcome.TIMED_OUT)).isZero();
    }

    @Test
    void aBranchThatCannotBeReachedInPhase2IsAPendingRetryUntilItCommits() throws Exception {
        // The first retry comes 2 s after the commit: long enough to see the gauge at 1 on a loaded machine.
        QuorumTransactionManager slow = QuorumTransactionManager.builder().nodeId("n1").commitLog(new InMemoryCommitLog())
                .phase2Retry(Duration.ofSeconds(2), Duration.ofSeconds(2)).recoveryInterval(Duration.ZERO).build();
        try (QuorumTxMetrics m = new QuorumTxMetrics(slow, Tags.of("app", "bank"))) {
            m.bindTo(registry);
            ScriptedXAResource b = new ScriptedXAResource("b").fail(ScriptedXAResource.Op.COMMIT, XAException.XAER_RMFAIL, 1);
            slow.begin();
            slow.getTransaction().enlistResource(new ScriptedXAResource("a"));
            slow.getTransaction().enlistResource(b);
            slow.commit();

            assertThat(transactions(TransactionOutcome.COMMITTED)).isEqualTo(1); // decided and durable
            assertThat(gauge(QuorumTxMetrics.PHASE2_RETRIES_PENDING)).isEqualTo(1);
            Poll.until("the retrier committed the branch", Duration.ofSeconds(30),
                    () -> b.committed().size() == 1 && gauge(QuorumTxMetrics.PHASE2_RETRIES_PENDING) == 0);
        } finally {
            slow.close();
        }
    }

    @Test
    void inDoubtBranchesAndTheAgeOfTheOldestAreGauges() throws Exception {
        metrics.bindTo(registry);
        ScriptedXAResource db = new ScriptedXAResource("db");
        String theirs = QuorumXid.formatGtrid("n2", "epoch", 1, System.currentTimeMillis() - 7_200_000);
        db.addPrepared(new QuorumXid(theirs, "db"));
        String younger = QuorumXid.formatGtrid("n2", "epoch", 2, System.currentTimeMillis() - 60_000);
        db.addPrepared(new QuorumXid(younger, "db"));
        tm.registerResource(new ScriptedRecoverableResource("db", db));

        tm.recover();

        assertThat(gauge(QuorumTxMetrics.IN_DOUBT)).isEqualTo(2);
        double oldestSeconds = registry.get(QuorumTxMetrics.IN_DOUBT_OLDEST).timeGauge().value(TimeUnit.SECONDS);
        assertThat(oldestSeconds).isBetween(7_190.0, 7_500.0);
        assertThat(registry.get(QuorumTxMetrics.RECOVERY_PASS).tag("result", "completed").timer().count())
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void logForcesAndRecordsPerForceComeFromTheLocalLog(@TempDir Path dir) throws Exception {
        QuorumTransactionManager local = manager(QuorumTransactionManager.builder().logDirectory(dir));
        try (QuorumTxMetrics m = new QuorumTxMetrics(local)) {
            m.bindTo(registry);
            for (int i = 0; i < 3; i++) {
                local.begin();
                local.getTransaction().enlistResource(new ScriptedXAResource("a"));
                local.getTransaction().enlistResource(new ScriptedXAResource("b"));
                local.commit();
            }
            var stats = local.logStats().orElseThrow();
            double forces = registry.get(QuorumTxMetrics.LOG_FORCES).tag("node", "n1").functionCounter().count();
            double records = registry.get(QuorumTxMetrics.LOG_RECORDS).tag("node", "n1").functionCounter().count();
            assertThat(forces).isGreaterThanOrEqualTo(3); // one forced COMMIT each, committed one after another
            assertThat(records).isGreaterThanOrEqualTo(3);
            assertThat(registry.get(QuorumTxMetrics.LOG_RECORDS_PER_FORCE).gauge().value())
                    .isEqualTo((double) stats.recordsWritten() / stats.forces(), org.assertj.core.data.Offset.offset(1.0));
            assertThat(registry.get(QuorumTxMetrics.LOG_FAILED).gauge().value()).isZero();
        } finally {
            local.close();
        }
    }

    @Test
    void afterCloseTheBinderNoLongerCounts() throws Exception {
        metrics.bindTo(registry);
        commitAcross(new ScriptedXAResource("a"));
        metrics.close();
        commitAcross(new ScriptedXAResource("a"));

        assertThat(transactions(TransactionOutcome.COMMITTED)).isEqualTo(1);
    }

    @Test
    void noMeterHasAPerTransactionTag() throws Exception {
        metrics.bindTo(registry);
        for (int i = 0; i < 5; i++) {
            commitAcross(new ScriptedXAResource("a"), new ScriptedXAResource("b"));
        }
        assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTags())
                .allSatisfy(t -> assertThat(t.getKey()).isIn("node", "app", "outcome", "phase", "result", "action")));
        assertThat(registry.find(QuorumTxMetrics.TRANSACTIONS).counters()).hasSize(TransactionOutcome.values().length);
    }
}
