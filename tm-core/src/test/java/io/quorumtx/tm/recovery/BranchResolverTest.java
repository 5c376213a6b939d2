package io.quorumtx.tm.recovery;

import static io.quorumtx.tm.recovery.RecoveryPlanTest.CLOCK;
import static io.quorumtx.tm.recovery.RecoveryPlanTest.gtrid;
import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.protocol.HeuristicOutcome;
import io.quorumtx.tm.protocol.HeuristicOutcome.Kind;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.recovery.ResolveReport.Outcome;
import io.quorumtx.tm.recovery.ResolveReport.StepResult;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import io.quorumtx.tm.xid.QuorumXid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.transaction.xa.XAException;
import org.junit.jupiter.api.Test;

/**
 * How recovery reads a resource's answer to its COMMIT or ROLLBACK: through the one classifier
 * ({@code XaOutcome}), including which answers are heuristics and of which kind — the same reading
 * as the commit path's ({@code BranchCompletion}).
 */
class BranchResolverTest {

    /** One row: the step's action, the code the resource throws (null: it answers OK), what recovery must report. */
    private record Row(RecoveryAction action, Integer code, Outcome outcome, Kind heuristic, boolean contradicts) {
    }

    private static final List<Row> TABLE = List.of(
            new Row(RecoveryAction.COMMIT, null, Outcome.COMMITTED, null, false),
            new Row(RecoveryAction.ROLLBACK, null, Outcome.ROLLED_BACK, null, false),
            // A prepared branch rolled back by the resource under a COMMIT broke its vote: heuristic.
            new Row(RecoveryAction.COMMIT, XAException.XA_RBDEADLOCK, Outcome.HEURISTIC, Kind.ROLLED_BACK, true),
            // The same answer to a ROLLBACK is what was asked.
            new Row(RecoveryAction.ROLLBACK, XAException.XA_RBDEADLOCK, Outcome.ROLLED_BACK, null, false),
            new Row(RecoveryAction.COMMIT, XAException.XAER_NOTA, Outcome.ALREADY_DONE, null, false),
            new Row(RecoveryAction.ROLLBACK, XAException.XAER_NOTA, Outcome.ALREADY_DONE, null, false),
            new Row(RecoveryAction.COMMIT, XAException.XA_HEURCOM, Outcome.HEURISTIC, Kind.COMMITTED, false),
            new Row(RecoveryAction.ROLLBACK, XAException.XA_HEURCOM, Outcome.HEURISTIC, Kind.COMMITTED, true),
            new Row(RecoveryAction.COMMIT, XAException.XA_HEURRB, Outcome.HEURISTIC, Kind.ROLLED_BACK, true),
            new Row(RecoveryAction.COMMIT, XAException.XA_HEURMIX, Outcome.HEURISTIC, Kind.MIXED, true),
            new Row(RecoveryAction.ROLLBACK, XAException.XA_HEURHAZ, Outcome.HEURISTIC, Kind.HAZARD, true),
            new Row(RecoveryAction.COMMIT, XAException.XAER_RMFAIL, Outcome.FAILED, null, false),
            new Row(RecoveryAction.COMMIT, 0, Outcome.FAILED, null, false), // H2 2.4's "unknown branch"
            new Row(RecoveryAction.ROLLBACK, XAException.XAER_RMERR, Outcome.FAILED, null, false));

    @Test
    void eachAnswerBecomesTheSameResultAndHeuristicAsOnTheCommitPath() {
        List<String> wrong = new ArrayList<>();
        int seq = 0;
        for (Row row : TABLE) {
            String g = gtrid("n1", ++seq, Duration.ofMinutes(5));
            QuorumXid xid = new QuorumXid(g, "db-a");
            ScriptedXAResource db = new ScriptedXAResource("db-a").addPrepared(xid);
            if (row.code() != null) {
                db.fail(row.action() == RecoveryAction.COMMIT ? Op.COMMIT : Op.ROLLBACK, row.code(), 1);
            }
            PlannedStep step = new PlannedStep(new InDoubtBranch("db-a", xid, g, "n1", Decision.UNKNOWN,
                    Optional.empty()), row.action(), "test");
            List<HeuristicOutcome> sink = new ArrayList<>();
            StepResult result = new BranchResolver(CLOCK).apply(db, step, sink::add);
            Kind kind = result.heuristic().orElse(null);
            boolean forgotten = db.count(Op.FORGET) == 1;
            String what = row.action() + " answered " + row.code() + ": ";
            if (result.outcome() != row.outcome() || kind != row.heuristic()) {
                wrong.add(what + result.outcome() + "/" + kind + ", expected " + row.outcome() + "/" + row.heuristic());
            }
            if (row.heuristic() == null ? !sink.isEmpty() : sink.size() != 1
                    || sink.get(0).contradictsDecision() != row.contradicts()) {
                wrong.add(what + "heuristics recorded " + sink);
            }
            boolean mustForget = row.code() != null && row.code() >= XAException.XA_HEURMIX
                    && row.code() <= XAException.XA_HEURHAZ;
            if (forgotten != mustForget) {
                wrong.add(what + (forgotten ? "forgotten" : "not forgotten"));
            }
        }
        assertThat(wrong).isEmpty();
    }
}
