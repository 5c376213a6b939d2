package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.log.LocalCommitLog;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.xid.QuorumXid;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.transaction.xa.XAException;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manager over the real local commit log. */
class LocalLogIntegrationTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    /** A resource whose phase-2 commit fails with XAER_RMFAIL until released. */
    private static final class UnreachableUntilReleased extends ScriptedXAResource {
        final AtomicBoolean reachable = new AtomicBoolean();

        UnreachableUntilReleased(String name) {
            super(name);
        }

        @Override
        public synchronized void commit(Xid xid, boolean onePhase) throws XAException {
            if (!reachable.get()) {
                throw new XAException(XAException.XAER_RMFAIL);
            }
            super.commit(xid, onePhase);
        }
    }

    private static String gtridOf(ScriptedXAResource r) {
        return ((QuorumXid) r.firstXid()).gtrid();
    }

    @Test
    void commitRecordOfATwoBranchCommitStaysUntilEveryBranchIsFinishedAndEndIsWritten() throws Exception {
        LocalCommitLog log = LocalCommitLog.open(dir);
        ScriptedXAResource a = new ScriptedXAResource("db-a");
        UnreachableUntilReleased b = new UnreachableUntilReleased("db-b");
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("local").commitLog(log)
                .phase2Retry(Duration.ofMillis(5), Duration.ofMillis(20)).build()) {
            tm.begin();
            tm.getTransaction().enlistResource(a);
            tm.getTransaction().enlistResource(b);
            tm.commit();
            String gtrid = gtridOf(a);
            assertThat(log.decision(gtrid)).isEqualTo(Decision.COMMIT);
            assertThat(log.unfinished()).extracting(CommitRecord::gtrid).containsExactly(gtrid);
            assertThat(log.unfinished().get(0).branches())
                    .containsExactly(new BranchRecord("db-a", "db-a"), new BranchRecord("db-b", "db-b"));
            b.reachable.set(true);
            Poll.until("END written once db-b committed", WITHIN, () -> log.unfinished().isEmpty());
            assertThat(b.committed()).hasSize(1);
            assertThat(log.decision(gtrid)).isEqualTo(Decision.UNKNOWN);
        }
    }

    @Test
    void commitDecisionSurvivesCloseWhenABranchIsStillUnreachable() throws Exception {
        ScriptedXAResource a = new ScriptedXAResource("db-a");
        UnreachableUntilReleased b = new UnreachableUntilReleased("db-b");
        String gtrid;
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("local").logDirectory(dir)
                .phase2Retry(Duration.ofMillis(5), Duration.ofMillis(20)).build()) {
            tm.begin();
            tm.getTransaction().enlistResource(a);
            tm.getTransaction().enlistResource(b);
            tm.commit();
            gtrid = gtridOf(a);
            assertThat(tm.pendingPhase2Retries()).isEqualTo(1);
        }
        try (LocalCommitLog reopened = LocalCommitLog.open(dir)) {
            assertThat(reopened.decision(gtrid)).isEqualTo(Decision.COMMIT);
            assertThat(reopened.unfinished()).extracting(CommitRecord::gtrid).containsExactly(gtrid);
        }
    }

    @Test
    void finishedAndOnePhaseCommitsLeaveNothingUnfinishedInTheLog() throws Exception {
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("local").logDirectory(dir)
                .build()) {
            for (int i = 0; i < 3; i++) {
                tm.begin();
                tm.getTransaction().enlistResource(new ScriptedXAResource("db-a"));
                tm.getTransaction().enlistResource(new ScriptedXAResource("db-b"));
                tm.commit();
            }
            tm.begin();
            tm.getTransaction().enlistResource(new ScriptedXAResource("db-a"));
            tm.commit();
        }
        try (LocalCommitLog reopened = LocalCommitLog.open(dir)) {
            assertThat(reopened.unfinished()).isEmpty();
        }
    }

    @Test
    void secondManagerOnTheSameLogDirectoryIsRefused() {
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("first").logDirectory(dir)
                .build()) {
            assertThatThrownBy(() -> QuorumTransactionManager.builder().nodeId("second").logDirectory(dir).build())
                    .isInstanceOf(CommitLogException.class).hasMessageContaining(dir.getFileName().toString());
            assertThat(tm.nodeId()).isEqualTo("first");
        }
    }
}
