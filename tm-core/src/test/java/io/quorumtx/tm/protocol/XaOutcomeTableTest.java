package io.quorumtx.tm.protocol;

import static io.quorumtx.tm.protocol.XaOutcome.ALREADY_COMMITTED;
import static io.quorumtx.tm.protocol.XaOutcome.ALREADY_ROLLED_BACK;
import static io.quorumtx.tm.protocol.XaOutcome.COMMITTED;
import static io.quorumtx.tm.protocol.XaOutcome.HEURISTIC_COMMIT;
import static io.quorumtx.tm.protocol.XaOutcome.HEURISTIC_HAZARD;
import static io.quorumtx.tm.protocol.XaOutcome.HEURISTIC_MIXED;
import static io.quorumtx.tm.protocol.XaOutcome.HEURISTIC_ROLLBACK;
import static io.quorumtx.tm.protocol.XaOutcome.PREPARED;
import static io.quorumtx.tm.protocol.XaOutcome.READ_ONLY;
import static io.quorumtx.tm.protocol.XaOutcome.RETRY;
import static io.quorumtx.tm.protocol.XaOutcome.ROLLED_BACK;
import static io.quorumtx.tm.protocol.XaOutcome.UNCERTAIN;
import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.protocol.HeuristicOutcome.Kind;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import org.junit.jupiter.api.Test;

/**
 * Every XA answer in every context, against the one classifier the commit path, the phase-2
 * retrier and recovery share ({@link XaOutcome}). One row per answer; the columns are the
 * {@link XaCall} contexts in declaration order: PREPARE, ONE_PHASE_COMMIT, PHASE2_COMMIT,
 * PHASE2_COMMIT_RETRY, ROLLBACK, RECOVERY_COMMIT, RECOVERY_ROLLBACK.
 */
class XaOutcomeTableTest {

    /** XA_RB* in every context: a rollback by the resource (for a commit of a prepared branch, against its vote). */
    private static final XaOutcome[] RB = {ROLLED_BACK, ROLLED_BACK, ROLLED_BACK, ROLLED_BACK, ROLLED_BACK,
        ROLLED_BACK, ROLLED_BACK};
    /** What every code XA does not define means (H2 2.4 answers 0 for an unknown branch). */
    private static final XaOutcome[] UNDEFINED = {UNCERTAIN, UNCERTAIN, UNCERTAIN, UNCERTAIN, UNCERTAIN, UNCERTAIN,
        UNCERTAIN};

    private static Map<String, XaOutcome[]> table() {
        Map<String, XaOutcome[]> t = new LinkedHashMap<>();
        //                                PREPARE      ONE_PHASE           PHASE2             RETRY              ROLLBACK             REC_COMMIT         REC_ROLLBACK
        t.put("XA_RBROLLBACK", RB);
        t.put("XA_RBCOMMFAIL", RB);
        t.put("XA_RBDEADLOCK", RB);
        t.put("XA_RBINTEGRITY", RB);
        t.put("XA_RBOTHER", RB);
        t.put("XA_RBPROTO", RB);
        t.put("XA_RBTIMEOUT", RB);
        t.put("XA_RBTRANSIENT", RB);
        t.put("XA_HEURCOM", row(UNCERTAIN, HEURISTIC_COMMIT, HEURISTIC_COMMIT, HEURISTIC_COMMIT, HEURISTIC_COMMIT, HEURISTIC_COMMIT, HEURISTIC_COMMIT));
        t.put("XA_HEURRB", row(UNCERTAIN, HEURISTIC_ROLLBACK, HEURISTIC_ROLLBACK, HEURISTIC_ROLLBACK, HEURISTIC_ROLLBACK, HEURISTIC_ROLLBACK, HEURISTIC_ROLLBACK));
        t.put("XA_HEURMIX", row(UNCERTAIN, HEURISTIC_MIXED, HEURISTIC_MIXED, HEURISTIC_MIXED, HEURISTIC_MIXED, HEURISTIC_MIXED, HEURISTIC_MIXED));
        t.put("XA_HEURHAZ", row(UNCERTAIN, HEURISTIC_HAZARD, HEURISTIC_HAZARD, HEURISTIC_HAZARD, HEURISTIC_HAZARD, HEURISTIC_HAZARD, HEURISTIC_HAZARD));
        t.put("XA_RETRY", row(UNCERTAIN, UNCERTAIN, RETRY, RETRY, RETRY, RETRY, RETRY));
        t.put("XA_RDONLY", row(READ_ONLY, UNCERTAIN, UNCERTAIN, UNCERTAIN, UNCERTAIN, UNCERTAIN, UNCERTAIN));
        t.put("XA_NOMIGRATE", UNDEFINED);
        t.put("XAER_RMERR", row(UNCERTAIN, ROLLED_BACK, UNCERTAIN, UNCERTAIN, UNCERTAIN, UNCERTAIN, UNCERTAIN));
        t.put("XAER_RMFAIL", row(UNCERTAIN, UNCERTAIN, RETRY, RETRY, RETRY, RETRY, RETRY));
        t.put("XAER_NOTA", row(UNCERTAIN, ROLLED_BACK, ALREADY_COMMITTED, ALREADY_COMMITTED, ALREADY_ROLLED_BACK, ALREADY_COMMITTED, ALREADY_ROLLED_BACK));
        t.put("XAER_INVAL", UNDEFINED);
        t.put("XAER_PROTO", UNDEFINED);
        t.put("XAER_DUPID", UNDEFINED);
        t.put("XAER_OUTSIDE", UNDEFINED);
        t.put("XAER_ASYNC", UNDEFINED);
        return t;
    }

    private static XaOutcome[] row(XaOutcome... byContext) {
        assertThat(byContext).hasSize(XaCall.values().length);
        return byContext;
    }

    @Test
    @SuppressWarnings("EnumOrdinal") // the expected-outcome table is written in XaCall declaration order, one column per call
    void everyXaErrorCodeMeansTheSameInEveryPathThatMeetsIt() throws Exception {
        Map<String, XaOutcome[]> table = table();
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, XaOutcome[]> entry : table.entrySet()) {
            int code = XAException.class.getField(entry.getKey()).getInt(null);
            for (XaCall call : XaCall.values()) {
                XaOutcome expected = entry.getValue()[call.ordinal()];
                XaOutcome actual = XaOutcome.threw(call, code);
                if (actual != expected) {
                    wrong.add(entry.getKey() + " in " + call + ": " + actual + ", expected " + expected);
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void theTableCoversEveryCodeXaDefines() {
        List<String> defined = new ArrayList<>();
        for (Field f : XAException.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class && f.getName().startsWith("XA")
                    && !f.getName().equals("XA_RBBASE") && !f.getName().equals("XA_RBEND")) {
                defined.add(f.getName());
            }
        }
        assertThat(table().keySet()).containsExactlyInAnyOrderElementsOf(defined);
    }

    @Test
    void codesXaDoesNotDefineAreUncertainEverywhere() {
        for (int code : new int[] {0, 1, 2, 10, 42, 99, 108, -1, -10, -99, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            for (XaCall call : XaCall.values()) {
                assertThat(XaOutcome.threw(call, code)).as("code %d in %s", code, call).isEqualTo(UNCERTAIN);
            }
        }
    }

    @Test
    void aCallThatReturnsReachedWhatItAskedAndPrepareReadsItsVote() {
        assertThat(XaOutcome.returned(XaCall.PREPARE, XAResource.XA_OK)).isEqualTo(PREPARED);
        assertThat(XaOutcome.returned(XaCall.PREPARE, XAResource.XA_RDONLY)).isEqualTo(READ_ONLY);
        assertThat(XaOutcome.returned(XaCall.PREPARE, 42)).as("a vote XA does not define").isEqualTo(UNCERTAIN);
        for (XaCall call : List.of(XaCall.ONE_PHASE_COMMIT, XaCall.PHASE2_COMMIT, XaCall.PHASE2_COMMIT_RETRY,
                XaCall.RECOVERY_COMMIT)) {
            assertThat(XaOutcome.returned(call, 0)).as("%s", call).isEqualTo(COMMITTED);
        }
        for (XaCall call : List.of(XaCall.ROLLBACK, XaCall.RECOVERY_ROLLBACK)) {
            assertThat(XaOutcome.returned(call, 0)).as("%s", call).isEqualTo(ROLLED_BACK);
        }
    }

    @Test
    void aDriversUncheckedExceptionIsRetriedWhereTheBranchIsPreparedAndUncertainWhereNothingCanBeRetried() {
        for (XaCall call : XaCall.values()) {
            XaOutcome expected = call == XaCall.PREPARE || call == XaCall.ONE_PHASE_COMMIT ? UNCERTAIN : RETRY;
            assertThat(XaOutcome.threwUnchecked(call)).as("%s", call).isEqualTo(expected);
        }
    }

    @Test
    void onlyTheXaHeuristicCodesMustBeForgotten() {
        for (XaOutcome o : XaOutcome.values()) {
            assertThat(o.mustForget()).as("%s", o).isEqualTo(o.name().startsWith("HEURISTIC_"));
        }
    }

    /**
     * The heuristic each outcome reports, in every context: what the commit path, the retrier and
     * recovery all record (they once each kept their own copy of this mapping). A resource's
     * rollback is a heuristic only for a commit of a prepared branch: in one-phase commit it is the
     * transaction's rollback, in prepare a NO vote, in a rollback context what was asked.
     */
    @Test
    void eachPathReadsTheSameHeuristicFromAnOutcome() {
        List<XaCall> preparedCommits = List.of(XaCall.PHASE2_COMMIT, XaCall.PHASE2_COMMIT_RETRY, XaCall.RECOVERY_COMMIT);
        List<String> wrong = new ArrayList<>();
        for (XaOutcome o : XaOutcome.values()) {
            for (XaCall call : XaCall.values()) {
                Kind expected = switch (o) {
                    case HEURISTIC_COMMIT -> Kind.COMMITTED;
                    case HEURISTIC_ROLLBACK -> Kind.ROLLED_BACK;
                    case HEURISTIC_MIXED -> Kind.MIXED;
                    case HEURISTIC_HAZARD -> Kind.HAZARD;
                    case ROLLED_BACK -> preparedCommits.contains(call) ? Kind.ROLLED_BACK : null;
                    default -> null;
                };
                if (o.heuristic(call) != expected) {
                    wrong.add(o + " in " + call + ": " + o.heuristic(call) + ", expected " + expected);
                }
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(XaOutcome.threw(XaCall.PHASE2_COMMIT, XAException.XA_RBROLLBACK).heuristic(XaCall.PHASE2_COMMIT))
                .as("a prepared branch rolled back under a COMMIT").isEqualTo(Kind.ROLLED_BACK);
        assertThat(XaOutcome.threw(XaCall.ONE_PHASE_COMMIT, XAException.XAER_NOTA).heuristic(XaCall.ONE_PHASE_COMMIT))
                .as("a one-phase branch thrown away: the transaction rolled back, no heuristic").isNull();
    }
}
