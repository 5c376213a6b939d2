package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import io.quorumtx.tm.xid.QuorumXid;
import jakarta.transaction.SystemException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The enlistment gate: the first enlistment of a registered resource after the manager started
 * waits until a recovery pass has finished that resource's branches of earlier incarnations (with
 * their records forced), and fails clearly when the resource cannot be recovered.
 */
class EnlistmentGateTest {
    private final InMemoryCommitLog log = new InMemoryCommitLog();
    private final ScriptedXAResource db = new ScriptedXAResource("db-a");
    private final ScriptedRecoverableResource recovery = new ScriptedRecoverableResource("db-a", db);
    private final String oldGtrid = QuorumXid.formatGtrid("n1", "oldepoch", 1, System.currentTimeMillis() - 60_000);
    private final QuorumXid oldBranch = new QuorumXid(oldGtrid, "db-a");

    private QuorumTransactionManager manager() {
        log.logCommit(new CommitRecord(oldGtrid, List.of(new BranchRecord("db-a", "db-a"),
                new BranchRecord("db-b", "db-b")), System.currentTimeMillis() - 60_000));
        db.addPrepared(oldBranch);
        return QuorumTransactionManager.builder().nodeId("n1").commitLog(log).recoveryInterval(Duration.ZERO).build();
    }

    @Test
    void aPreparedBranchOfAPreviousIncarnationIsResolvedBeforeTheFirstEnlistmentProceeds() throws Exception {
        try (QuorumTransactionManager tm = manager()) {
            // The passes of start and registration find the database down: nothing is recovered yet,
            // and with no periodic passes only the gate can bring recovery before the enlistment.
            recovery.unreachable("connection refused");
            tm.registerResource(recovery);
            tm.recover();
            assertThat(db.prepared()).contains(oldBranch);
            recovery.unreachable(null);

            tm.begin();
            tm.getTransaction().enlistResource(db);
            List<ScriptedXAResource.Call> calls = db.calls();
            int committedOld = indexOf(calls, Op.COMMIT, oldBranch.gtrid());
            int startedNew = indexOf(calls, Op.START, null);
            assertThat(committedOld).as("the old branch is committed by recovery").isNotNegative();
            assertThat(startedNew).as("the new branch starts only after").isGreaterThan(committedOld);
            assertThat(log.isBranchDone(oldGtrid, new BranchRecord("db-a", "db-a")))
                    .as("and its BRANCH_DONE is recorded before the enlistment went on").isTrue();
            tm.rollback();
        }
    }

    @Test
    void anUnreachableResourceFailsTheFirstEnlistmentWithAClearError() throws Exception {
        try (QuorumTransactionManager tm = manager()) {
            recovery.unreachable("connection refused by db-a.example:5432");
            tm.registerResource(recovery);
            tm.begin();
            assertThatThrownBy(() -> tm.getTransaction().enlistResource(db))
                    .isInstanceOf(SystemException.class)
                    .hasMessageContaining("Cannot enlist resource 'db-a'")
                    .hasMessageContaining("could not be reached")
                    .hasMessageContaining("connection refused by db-a.example:5432");
            assertThat(db.ops()).doesNotContain(Op.START);
            tm.rollback();

            recovery.unreachable(null); // reachable again: the next enlistment recovers it and proceeds
            tm.begin();
            assertThat(tm.getTransaction().enlistResource(db)).isTrue();
            assertThat(db.committed()).contains(oldBranch);
            tm.rollback();
        }
    }

    @Test
    void anUnregisteredResourceIsNotGated() throws Exception {
        try (QuorumTransactionManager tm = manager()) {
            tm.begin();
            assertThat(tm.getTransaction().enlistResource(db)).isTrue();
            assertThat(db.prepared()).as("nobody could recover it").contains(oldBranch);
            tm.rollback();
        }
    }

    private static int indexOf(List<ScriptedXAResource.Call> calls, Op op, String gtrid) {
        for (int i = 0; i < calls.size(); i++) {
            ScriptedXAResource.Call call = calls.get(i);
            if (call.op() == op && (gtrid == null || new String(call.xid().getGlobalTransactionId(),
                    java.nio.charset.StandardCharsets.US_ASCII).equals(gtrid))) {
                return i;
            }
        }
        return -1;
    }
}
