package io.quorumtx.tm.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.recovery.OwnerLiveness;
import io.quorumtx.tm.recovery.Recovery;
import io.quorumtx.tm.recovery.ResolveReport;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import io.quorumtx.tm.xid.QuorumXid;
import jakarta.transaction.HeuristicMixedException;
import jakarta.transaction.Status;
import jakarta.transaction.Transaction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.transaction.xa.XAException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The README's "wrongly presumed dead" case: node n1 makes its COMMIT decision durable and then
 * pauses (a GC pause, a SIGSTOP) longer than its lease. Another node takes its transaction over
 * from the shared commit log, learns the same COMMIT and commits every branch. When n1 resumes,
 * its phase 2 meets branches the databases no longer know (XAER_NOTA): they were finished by
 * the logged decision, so the transaction committed everywhere and {@code commit()} must say so,
 * not throw a heuristic the application would compensate for. A real hazard stays one.
 *
 * <p>The pause is the crash injector at {@link CrashPoint#AFTER_COMMIT_RECORD} returning only
 * after the other node's recovery ran: the same interleaving a real pause gives, deterministic.
 */
class WronglyPresumedDeadTest {

    private final InMemoryCommitLog log = new InMemoryCommitLog(); // the log both nodes read (replicated in production)
    private final ScriptedXAResource a = new ScriptedXAResource("db-a");
    private final ScriptedXAResource b = new ScriptedXAResource("db-b");
    private final ScriptedRecoverableResource recoverableB = new ScriptedRecoverableResource("db-b", b);
    private final List<RecoverableResource> databases = List.of(new ScriptedRecoverableResource("db-a", a), recoverableB);
    private final List<ResolveReport> takeovers = new ArrayList<>();
    private QuorumTransactionManager n1;

    @AfterEach
    void close() {
        if (n1 != null) {
            n1.close();
        }
    }

    /** n1, which pauses after its decision while another node (n1's lease lapsed) finishes its transaction. */
    private QuorumTransactionManager pausedAfterDecision() {
        n1 = QuorumTransactionManager.builder().nodeId("n1").commitLog(log)
                .recoveryInterval(Duration.ZERO) // n1's own recovery stays out of the way
                .crashInjector((point, gtrid) -> {
                    if (point == CrashPoint.AFTER_COMMIT_RECORD) {
                        takeovers.add(new Recovery(log, databases, OwnerLiveness.stoppedNodes(Set.of("n1")),
                                Duration.ZERO).resolve(false));
                    }
                })
                .build();
        return n1;
    }

    private String transferAcrossAandB(QuorumTransactionManager tm) throws Exception {
        tm.begin();
        Transaction tx = tm.getTransaction();
        tx.enlistResource(a);
        tx.enlistResource(b);
        String gtrid = ((QuorumXid) a.firstXid()).gtrid();
        tm.commit();
        return gtrid;
    }

    @Test
    void aCoordinatorWronglyPresumedDeadFindsItsBranchesCommittedByTheTakeoverAndReportsCommitted() throws Exception {
        QuorumTransactionManager tm = pausedAfterDecision();

        String gtrid = transferAcrossAandB(tm); // throws HeuristicMixedException if XAER_NOTA is read as a hazard

        assertThat(takeovers).singleElement().satisfies(r -> assertThat(r.steps()).hasSize(2)
                .allSatisfy(s -> assertThat(s.outcome()).isEqualTo(ResolveReport.Outcome.COMMITTED)));
        assertThat(a.committed()).hasSize(1);
        assertThat(b.committed()).hasSize(1);
        assertThat(a.rolledBack()).isEmpty();
        assertThat(b.rolledBack()).isEmpty();
        assertThat(a.count(Op.COMMIT) + b.count(Op.COMMIT)).as("the takeover's two commits and n1's two late ones")
                .isEqualTo(4);
        assertThat(tm.heuristicOutcomes()).as("no heuristic: the transaction committed everywhere").isEmpty();
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
        assertThat(log.ends()).contains(gtrid);
    }

    @Test
    void aHeuristicHazardMetByTheResumedCoordinatorIsStillAHazard() throws Exception {
        QuorumTransactionManager tm = pausedAfterDecision();
        recoverableB.unreachable("db-b is down for the takeover"); // the takeover commits db-a only
        b.fail(Op.COMMIT, XAException.XA_HEURHAZ, 1); // n1's own commit of db-b: outcome unknown

        assertThatThrownBy(() -> transferAcrossAandB(tm)).isInstanceOf(HeuristicMixedException.class);

        assertThat(a.committed()).as("committed by the takeover").hasSize(1);
        assertThat(tm.heuristicOutcomes()).as("db-a, gone because the takeover committed it, is no hazard")
                .singleElement().satisfies(h -> {
                    assertThat(h.resourceName()).isEqualTo("db-b");
                    assertThat(h.kind()).isEqualTo(HeuristicOutcome.Kind.HAZARD);
                });
    }
}
