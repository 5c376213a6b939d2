package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.spi.CommitPhase;
import io.quorumtx.tm.spi.CommitTimings;
import io.quorumtx.tm.spi.RecoveryPassSummary;
import io.quorumtx.tm.spi.TransactionObserver;
import io.quorumtx.tm.spi.TransactionOutcome;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.xid.QuorumXid;
import jakarta.transaction.HeuristicMixedException;
import jakarta.transaction.RollbackException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.transaction.xa.XAException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The observation SPI's contract: what is called, in which order, and that an observer cannot break a commit. */
class TransactionObserverTest {

    /** Records every call as a line. */
    static final class Recording implements TransactionObserver {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        final List<CommitTimings> timings = Collections.synchronizedList(new ArrayList<>());
        final List<RecoveryPassSummary> passes = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void commitStarted(String gtrid, int branches) {
            calls.add("started " + branches);
        }

        @Override
        public void commitPhaseStarted(String gtrid, CommitPhase phase) {
            calls.add("phase " + phase.tagValue());
        }

        @Override
        public void commitFinished(String gtrid, TransactionOutcome outcome, CommitTimings t) {
            calls.add("commit " + outcome.tagValue());
            timings.add(t);
        }

        @Override
        public void transactionFinished(String gtrid, TransactionOutcome outcome) {
            calls.add("finished " + outcome.tagValue());
        }

        @Override
        public void recoveryPassFinished(RecoveryPassSummary summary) {
            passes.add(summary);
        }
    }

    private final InMemoryCommitLog log = new InMemoryCommitLog();
    private final QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("obs")
            .commitLog(log).reaperInterval(Duration.ofMillis(20)).phase2Retry(Duration.ofMillis(5), Duration.ofMillis(40))
            .recoveryInterval(Duration.ZERO).build();

    @AfterEach
    void close() {
        tm.close();
    }

    private void commitAcross(ScriptedXAResource... resources) throws Exception {
        tm.begin();
        for (ScriptedXAResource r : resources) {
            tm.getTransaction().enlistResource(r);
        }
        tm.commit();
    }

    @Test
    void aTwoPhaseCommitReportsPrepareLogAndPhase2InOrderWithTheirTimings() throws Exception {
        Recording rec = new Recording();
        tm.addObserver(rec);

        commitAcross(new ScriptedXAResource("a"), new ScriptedXAResource("b"));

        assertThat(rec.calls).containsExactly("started 2", "phase prepare", "phase log", "phase phase2",
                "commit committed", "finished committed");
        CommitTimings t = rec.timings.get(0);
        assertThat(t.prepareNanos()).isNotNegative();
        assertThat(t.logNanos()).isNotNegative();
        assertThat(t.phase2Nanos()).isNotNegative();
        assertThat(t.prepareNanos() + t.logNanos() + t.phase2Nanos()).isLessThanOrEqualTo(t.totalNanos());
    }

    @Test
    void aOnePhaseCommitReportsOnlyPhase2() throws Exception {
        Recording rec = new Recording();
        tm.addObserver(rec);

        commitAcross(new ScriptedXAResource("a"));

        assertThat(rec.calls).containsExactly("started 1", "phase phase2", "commit committed", "finished committed");
        CommitTimings t = rec.timings.get(0);
        assertThat(t.prepareNanos()).isEqualTo(CommitTimings.NOT_RUN);
        assertThat(t.logNanos()).isEqualTo(CommitTimings.NOT_RUN);
        assertThat(t.phase2Nanos()).isNotNegative();
    }

    @Test
    void aNoVoteEndsThePrepareAndReportsRolledBack() throws Exception {
        Recording rec = new Recording();
        tm.addObserver(rec);

        assertThatThrownBy(() -> commitAcross(new ScriptedXAResource("a"), new ScriptedXAResource("b").voteNo()))
                .isInstanceOf(RollbackException.class);

        assertThat(rec.calls).containsExactly("started 2", "phase prepare", "commit rolled_back", "finished rolled_back");
        assertThat(rec.timings.get(0).prepareNanos()).isNotNegative();
        assertThat(rec.timings.get(0).phase2Nanos()).isEqualTo(CommitTimings.NOT_RUN);
    }

    @Test
    void aRollbackByTheApplicationIsAFinishedTransactionWithoutACommit() throws Exception {
        Recording rec = new Recording();
        tm.addObserver(rec);

        tm.begin();
        tm.getTransaction().enlistResource(new ScriptedXAResource("a"));
        tm.rollback();

        assertThat(rec.calls).containsExactly("finished rolled_back");
    }

    @Test
    void aHeuristicRollbackInPhase2IsReportedAsHeuristicAndWaitsForAnOperator() throws Exception {
        Recording rec = new Recording();
        tm.addObserver(rec);

        assertThatThrownBy(() -> commitAcross(new ScriptedXAResource("a"),
                new ScriptedXAResource("b").fail(ScriptedXAResource.Op.COMMIT, XAException.XA_HEURRB, 1)))
                .isInstanceOf(HeuristicMixedException.class);

        assertThat(rec.calls).endsWith("commit heuristic", "finished heuristic");
        assertThat(tm.heuristicOutcomesWaiting()).hasSize(1);
        assertThat(tm.acknowledgeHeuristicOutcomes(tm.heuristicOutcomesWaiting())).isEqualTo(1);
        assertThat(tm.heuristicOutcomesWaiting()).isEmpty();
        assertThat(tm.heuristicOutcomes()).hasSize(1); // the history keeps it
    }

    @Test
    void anUnconfirmedCommitRecordIsReportedInDoubt() throws Exception {
        Recording rec = new Recording();
        tm.addObserver(rec);
        log.failNextCommit(false);

        assertThatThrownBy(() -> commitAcross(new ScriptedXAResource("a"), new ScriptedXAResource("b")))
                .isInstanceOf(jakarta.transaction.SystemException.class);

        assertThat(rec.calls).containsExactly("started 2", "phase prepare", "phase log", "commit in_doubt",
                "finished in_doubt");
    }

    @Test
    void anObserverThatThrowsNeverChangesTheOutcomeNorStopsTheOthers() throws Exception {
        TransactionObserver broken = new TransactionObserver() {
            @Override
            public void commitStarted(String gtrid, int branches) {
                throw new IllegalStateException("broken exporter");
            }

            @Override
            public void transactionFinished(String gtrid, TransactionOutcome outcome) {
                throw new IllegalStateException("broken exporter");
            }
        };
        Recording rec = new Recording();
        tm.addObserver(broken);
        tm.addObserver(rec);
        ScriptedXAResource a = new ScriptedXAResource("a");
        ScriptedXAResource b = new ScriptedXAResource("b");

        commitAcross(a, b);
        commitAcross(new ScriptedXAResource("c"), new ScriptedXAResource("d"));

        assertThat(a.committed()).hasSize(1);
        assertThat(b.committed()).hasSize(1);
        assertThat(rec.calls).filteredOn(c -> c.startsWith("finished")).containsExactly("finished committed",
                "finished committed");
    }

    @Test
    void aRemovedObserverIsNoLongerCalled() throws Exception {
        Recording rec = new Recording();
        tm.addObserver(rec);
        assertThat(tm.removeObserver(rec)).isTrue();
        assertThat(tm.removeObserver(rec)).isFalse();

        commitAcross(new ScriptedXAResource("a"), new ScriptedXAResource("b"));

        assertThat(rec.calls).isEmpty();
    }

    @Test
    void aRecoveryPassReportsWhatItDidAndTheBranchesItLeftInDoubtWithTheirAge() throws Exception {
        Recording rec = new Recording();
        tm.addObserver(rec);
        ScriptedXAResource db = new ScriptedXAResource("db");
        // Another node's branch, begun an hour ago: its owner may still decide, so recovery leaves it.
        String theirs = QuorumXid.formatGtrid("other", "epoch", 1, System.currentTimeMillis() - 3_600_000);
        db.addPrepared(new QuorumXid(theirs, "db"));
        // One of a crashed earlier incarnation of this node with no COMMIT: presumed abort rolls it back.
        String ours = QuorumXid.formatGtrid("obs", "oldepoch", 1, System.currentTimeMillis() - 60_000);
        db.addPrepared(new QuorumXid(ours, "db"));
        tm.registerResource(new ScriptedRecoverableResource("db", db));

        tm.recover();

        RecoveryPassSummary last = rec.passes.get(rec.passes.size() - 1);
        assertThat(last.completed()).isTrue();
        assertThat(last.leftInDoubt()).isEqualTo(1);
        assertThat(tm.inDoubtBranches()).isEqualTo(1);
        assertThat(tm.oldestInDoubtAge()).isBetween(Duration.ofMinutes(59), Duration.ofMinutes(70));
        assertThat(rec.passes).anySatisfy(p -> assertThat(p.rolledBack()).isEqualTo(1));

        tm.unregisterResource("db");
        assertThat(tm.inDoubtBranches()).isZero();
        assertThat(tm.oldestInDoubtAge()).isZero();
    }

    @Test
    void theCommitLogFailingStopIsVisibleOnTheManager() {
        assertThat(tm.commitLogFailed()).isFalse();
        log.failStop();
        assertThat(tm.commitLogFailed()).isTrue();
        assertThat(tm.logStats()).isEmpty(); // not a local log
    }
}
