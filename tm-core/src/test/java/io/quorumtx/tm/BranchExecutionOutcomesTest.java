package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.protocol.HeuristicOutcome;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import jakarta.transaction.SystemException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.transaction.xa.XAException;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.Test;

/**
 * The property behind {@link BranchExecution}: serial and parallel branches reach the same outcome.
 * For every combination of scripted behaviours over two and three branches, one transaction is
 * committed by a SERIAL manager and one by a PARALLEL manager, and what the application was told,
 * each branch's fate, whether a COMMIT record was written and which heuristics were recorded must
 * agree.
 *
 * <p>The one documented difference: when every branch but the last votes read-only, the serial
 * path commits the last one in one phase without preparing it, and the parallel path (which
 * cannot know the other votes before it starts the last prepare) prepares it. There the fates
 * agree whenever the one-phase commit has a definite answer; where it fails in a way that leaves
 * its outcome unknown (an unreachable or broken resource: {@code SystemException}), the parallel
 * path, having prepared instead, rolls back cleanly.
 */
class BranchExecutionOutcomesTest {

    /** What one scripted resource does in a transaction; a real resource that fails a prepare also fails a one-phase commit. */
    enum Behaviour {
        YES, READ_ONLY, NO, UNREACHABLE, BROKEN, COMMIT_RETRIED, HEURISTIC_ROLLBACK;

        ScriptedXAResource apply(ScriptedXAResource r) {
            return switch (this) {
                case YES -> r;
                case READ_ONLY -> r.voteReadOnly();
                case NO -> r.voteNo().fail(Op.COMMIT, XAException.XA_RBROLLBACK, 1);
                case UNREACHABLE -> r.fail(Op.PREPARE, XAException.XAER_RMFAIL, 1).fail(Op.COMMIT, XAException.XAER_RMFAIL, 1);
                case BROKEN -> r.fail(Op.PREPARE, new IllegalStateException("driver bug"), 1)
                        .fail(Op.COMMIT, new IllegalStateException("driver bug"), 1);
                case COMMIT_RETRIED -> r.fail(Op.COMMIT, XAException.XAER_RMFAIL, 1);
                case HEURISTIC_ROLLBACK -> r.fail(Op.COMMIT, XAException.XA_HEURRB, 1);
            };
        }
    }

    /** What the application and an observer can tell after the transaction and its retries settled. */
    record Outcome(String thrown, List<String> fates, boolean logged, List<String> heuristics) {
    }

    @Test
    void serialAndParallelBranchesEndAlikeForEveryCombinationOfVotesAndErrors() throws Exception {
        InMemoryCommitLog serialLog = new InMemoryCommitLog();
        InMemoryCommitLog parallelLog = new InMemoryCommitLog();
        int compared = 0;
        int onePhaseCells = 0;
        try (QuorumTransactionManager serial = manager("serial", serialLog, BranchExecution.SERIAL);
                QuorumTransactionManager parallel = manager("parallel", parallelLog, BranchExecution.PARALLEL)) {
            for (List<Behaviour> script : combinations()) {
                Outcome s = run(serial, serialLog, script);
                Outcome p = run(parallel, parallelLog, script);
                if (serialCommitsLastInOnePhase(script)) {
                    onePhaseCells++;
                    if (s.thrown().startsWith(SystemException.class.getSimpleName())) {
                        assertThat(p.thrown()).as("%s: parallel prepared the last branch: a definite outcome", script)
                                .doesNotStartWith(SystemException.class.getSimpleName());
                        assertThat(p.fates()).as("%s", script).doesNotContain("PREPARED");
                    } else {
                        assertThat(exceptionClass(p)).as("%s: what the application is told", script)
                                .isEqualTo(exceptionClass(s));
                        assertThat(p.fates()).as("%s: each branch's fate", script).isEqualTo(s.fates());
                    }
                } else {
                    assertThat(p).as("%s: serial %s, parallel %s", script, s, p).isEqualTo(s);
                }
                compared++;
            }
        }
        int behaviours = Behaviour.values().length;
        assertThat(compared).isEqualTo(behaviours * behaviours + behaviours * behaviours * behaviours);
        assertThat(onePhaseCells).isEqualTo(behaviours - 1 + behaviours - 1);
    }

    private static QuorumTransactionManager manager(String node, InMemoryCommitLog log, BranchExecution execution) {
        return QuorumTransactionManager.builder().nodeId(node).commitLog(log).reaperInterval(Duration.ofMillis(20))
                .phase2Retry(Duration.ofMillis(2), Duration.ofMillis(10)).branchExecution(execution, 4).build();
    }

    private static List<List<Behaviour>> combinations() {
        List<List<Behaviour>> all = new ArrayList<>();
        for (Behaviour a : Behaviour.values()) {
            for (Behaviour b : Behaviour.values()) {
                all.add(List.of(a, b));
                for (Behaviour c : Behaviour.values()) {
                    all.add(List.of(a, b, c));
                }
            }
        }
        return all;
    }

    /** Every branch but the last votes read-only and the last does not: serial commits it in one phase. */
    private static boolean serialCommitsLastInOnePhase(List<Behaviour> script) {
        for (int i = 0; i < script.size() - 1; i++) {
            if (script.get(i) != Behaviour.READ_ONLY) {
                return false;
            }
        }
        return script.get(script.size() - 1) != Behaviour.READ_ONLY;
    }

    private static String exceptionClass(Outcome o) {
        return o.thrown().split(" ", 2)[0];
    }

    private static Outcome run(QuorumTransactionManager tm, InMemoryCommitLog log, List<Behaviour> script)
            throws Exception {
        List<ScriptedXAResource> resources = new ArrayList<>();
        tm.begin();
        for (int i = 0; i < script.size(); i++) {
            ScriptedXAResource r = script.get(i).apply(new ScriptedXAResource("r" + i).remote());
            resources.add(r);
            tm.getTransaction().enlistResource(r);
        }
        String thrown = "none";
        try {
            tm.commit();
        } catch (Exception e) {
            thrown = e.getClass().getSimpleName() + (e.getCause() == null ? "" : " caused by "
                    + e.getCause().getClass().getSimpleName() + " " + e.getMessage().replaceAll("Transaction \\S+ ", ""));
        }
        Poll.until("phase-2 retries settle", Duration.ofSeconds(10), () -> tm.pendingPhase2Retries() == 0);
        String gtrid = BranchExecutionTest.gtridOf(resources.get(0));
        List<String> fates = new ArrayList<>();
        for (int i = 0; i < resources.size(); i++) {
            ScriptedXAResource r = resources.get(i);
            Xid xid = r.firstXid();
            // A read-only branch wrote nothing: committing or rolling it back is the same.
            fates.add(script.get(i) == Behaviour.READ_ONLY ? "READ_ONLY" : r.committed().contains(xid) ? "COMMITTED"
                    : r.prepared().contains(xid) ? "PREPARED" : "NOT_COMMITTED");
        }
        boolean logged = log.commits().stream().anyMatch(c -> c.gtrid().equals(gtrid));
        List<String> heuristics = tm.heuristicOutcomes().stream().filter(h -> h.gtrid().equals(gtrid))
                .map(BranchExecutionOutcomesTest::describe).sorted().toList();
        return new Outcome(thrown, fates, logged, heuristics);
    }

    private static String describe(HeuristicOutcome h) {
        return h.resourceName() + " " + h.decision() + " " + h.kind();
    }
}
