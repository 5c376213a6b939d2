package io.quorumtx.tm.recovery;

import static io.quorumtx.tm.recovery.RecoveryAction.COMMIT;
import static io.quorumtx.tm.recovery.RecoveryAction.LEAVE;
import static io.quorumtx.tm.recovery.RecoveryAction.ROLLBACK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.spi.PreCommitMarker;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.recovery.RecoveryRules.Answer;
import io.quorumtx.tm.recovery.RecoveryRules.DecisionSource;
import io.quorumtx.tm.recovery.RecoveryRules.Settling;
import io.quorumtx.tm.xid.QuorumXid;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Recovery's decision rules without any resource, log or clock: one row per rule (and per edge of
 * one), each giving what was found and the action and reason the rules must return. Every row
 * would fail if its rule were dropped, reordered or inverted; the "never asked" column pins that
 * the rules only ask what they need (each question may be a majority read, and a settle chooses).
 */
class RecoveryRulesTest {
    private static final Duration SAFETY = Duration.ofMinutes(2);
    private static final DecisionSource LOG = new DecisionSource.LogDecides();

    /** The evidence a row fixes, recording which questions the rules asked. */
    static final class Found implements RecoveryRules.Evidence {
        String mayStillDecide;
        boolean gone;
        Decision logged = Decision.UNKNOWN;
        Answer<Boolean> done = Answer.of(false);
        boolean logSettles;
        Answer<Decision> settled = Answer.of(Decision.ABORT);
        final List<String> asked = new ArrayList<>();

        @Override
        public Optional<String> ownerMayStillDecide() {
            asked.add("liveness");
            return Optional.ofNullable(mayStillDecide);
        }

        @Override
        public boolean ownerGone() {
            asked.add("gone");
            return gone;
        }

        @Override
        public Decision loggedDecision() {
            asked.add("decision");
            return logged;
        }

        @Override
        public Answer<Boolean> branchDone() {
            asked.add("done");
            return done;
        }

        @Override
        public boolean logSettlesInDoubt() {
            asked.add("settlesInDoubt");
            return logSettles;
        }

        @Override
        public Answer<Decision> settle() {
            asked.add("settle");
            return settled;
        }
    }

    /** One row: the settings, the branch, what was found, and what the rules must say. */
    record Row(String rule, DecisionSource source, Settling settling, InDoubtBranch branch, ScanResult scan,
            Consumer<Found> found, RecoveryAction action, String reasonContains, List<String> neverAsked) {
        @Override
        public String toString() {
            return rule;
        }
    }

    private static String gtrid(String owner) {
        return QuorumXid.formatGtrid(owner, "epoch1", 7, Instant.parse("2026-11-22T00:00:00Z").toEpochMilli());
    }

    /** A branch of {@code owner}'s transaction in db-a, the scan having seen {@code logged}. */
    private static InDoubtBranch branch(String owner, boolean threePhase, Decision logged, Duration age) {
        String g = gtrid(owner);
        return new InDoubtBranch("db-a", new QuorumXid(g, "db-a", threePhase), g, owner, logged,
                Optional.ofNullable(age));
    }

    private static InDoubtBranch twoPc(Decision logged, Duration age) {
        return branch("n1", false, logged, age);
    }

    private static InDoubtBranch threePc(String owner) {
        return branch(owner, true, Decision.UNKNOWN, Duration.ofHours(1));
    }

    private static ScanResult scan(InDoubtBranch b) {
        return new ScanResult(List.of(b), List.of(), Map.of());
    }

    /** A scan where db-b holds a pre-commit marker of {@code b}'s transaction. */
    private static ScanResult marked(InDoubtBranch b) {
        return new ScanResult(List.of(b), List.of(), Map.of(), Map.of("db-a", List.of(), "db-b",
                List.of(new PreCommitMarker(b.gtrid(), List.of("db-a", "db-b"), Instant.EPOCH))), Map.of());
    }

    private static ScanResult markersUnreadable(InDoubtBranch b) {
        return new ScanResult(List.of(b), List.of(), Map.of(), Map.of("db-a", List.of()),
                Map.of("db-b", "XAER_RMFAIL"));
    }

    private static Row row(String rule, InDoubtBranch b, ScanResult scan, Consumer<Found> found, RecoveryAction action,
            String reason, String... neverAsked) {
        return new Row(rule, LOG, Settling.SETTLE, b, scan, found, action, reason, List.of(neverAsked));
    }

    private static Row preview(String rule, InDoubtBranch b, Consumer<Found> found, RecoveryAction action,
            String reason, String... neverAsked) {
        return new Row(rule, LOG, Settling.PREVIEW, b, scan(b), found, action, reason, List.of(neverAsked));
    }

    private static Row lost(String rule, Set<String> lostOwners, InDoubtBranch b, ScanResult scan,
            RecoveryAction action, String reason) {
        return new Row(rule, new DecisionSource.MarkersDecide(lostOwners), Settling.SETTLE, b, scan, f -> { },
                action, reason, List.of("decision", "done", "settle", "gone"));
    }

    static Stream<Row> rows() {
        Duration old = Duration.ofMinutes(5);
        InDoubtBranch seenCommit = twoPc(Decision.COMMIT, Duration.ofSeconds(1));
        InDoubtBranch undecidedOld = twoPc(Decision.UNKNOWN, old);
        InDoubtBranch undecidedYoung = twoPc(Decision.UNKNOWN, Duration.ofSeconds(119));
        InDoubtBranch twoPcOld = twoPc(Decision.UNKNOWN, Duration.ofHours(1));
        return Stream.of(
                // 1. The owner may still decide: LEAVE, before anything else, even for a logged COMMIT.
                row("owner may still decide, COMMIT logged", seenCommit, scan(seenCommit),
                        f -> f.mayStillDecide = "its coordinator is running", LEAVE, "its coordinator is running",
                        "decision", "done", "settle"),
                new Row("owner may still decide, log lost, marker found", new DecisionSource.MarkersDecide(Set.of("n1")),
                        Settling.SETTLE, threePc("n1"), marked(threePc("n1")), f -> f.mayStillDecide = "alive",
                        LEAVE, "alive", List.of()),
                // 2. COMMIT logged: COMMIT, unless the branch is recorded finished.
                row("COMMIT seen by the scan", seenCommit, scan(seenCommit), f -> { }, COMMIT, "logged COMMIT",
                        "decision", "gone", "settle"),
                row("COMMIT logged after the scan (read again after the liveness check)", undecidedOld,
                        scan(undecidedOld), f -> f.logged = Decision.COMMIT, COMMIT, "logged COMMIT", "gone", "settle"),
                row("COMMIT logged, branch recorded finished: listed again, never committed twice", seenCommit,
                        scan(seenCommit), f -> f.done = Answer.of(true), ROLLBACK, "already finished branch again"),
                row("COMMIT logged, whether finished cannot be read now", seenCommit, scan(seenCommit),
                        f -> f.done = Answer.unknown("no majority"), LEAVE, "cannot be known now: no majority"),
                // 3. ABORT logged: ROLLBACK, whatever the age.
                row("ABORT logged", twoPc(Decision.ABORT, Duration.ofSeconds(1)),
                        scan(twoPc(Decision.ABORT, Duration.ofSeconds(1))), f -> f.logged = Decision.ABORT, ROLLBACK,
                        "logged ABORT", "gone", "settle", "done"),
                // A marker proves a COMMIT the log lost.
                row("no decision but a pre-commit marker", undecidedYoung, marked(undecidedYoung), f -> { }, COMMIT,
                        "pre-commit marker in db-b", "gone", "settle"),
                // 4. No decision, owner gone: ROLLBACK at once, however young.
                row("no decision, owner gone, young", undecidedYoung, scan(undecidedYoung), f -> f.gone = true,
                        ROLLBACK, "is not running (this incarnation can no longer decide): ABORT chosen"),
                // 5. No decision, owner not gone: the safety interval decides.
                row("no decision, age unknown", twoPc(Decision.UNKNOWN, null), scan(twoPc(Decision.UNKNOWN, null)),
                        f -> { }, LEAVE, "age is unknown", "settle"),
                row("no decision, younger than the safety interval", undecidedYoung, scan(undecidedYoung), f -> { },
                        LEAVE, "younger (1m59s) than the safety interval (2m)", "settle"),
                row("no decision, exactly the safety interval old", twoPc(Decision.UNKNOWN, SAFETY),
                        scan(twoPc(Decision.UNKNOWN, SAFETY)), f -> { }, ROLLBACK, "older (2m)"),
                // Settling through the log before a presumed abort.
                row("settled: a replica's COMMIT carried on", undecidedOld, scan(undecidedOld),
                        f -> f.settled = Answer.of(Decision.COMMIT), COMMIT, "carried on an accepted COMMIT"),
                row("settled: ABORT chosen", undecidedOld, scan(undecidedOld), f -> { }, ROLLBACK,
                        "older (5m) than the safety interval (2m): ABORT chosen through the commit log"),
                row("settled: log answered nothing decisive", undecidedOld, scan(undecidedOld),
                        f -> f.settled = Answer.of(Decision.UNKNOWN), ROLLBACK, ": presumed abort"),
                row("settle impossible now", undecidedOld, scan(undecidedOld),
                        f -> f.settled = Answer.unknown("no majority"), LEAVE, "could not settle it now: no majority"),
                preview("preview, replicated log: says resolve settles first, settles nothing", undecidedOld,
                        f -> f.logSettles = true, ROLLBACK, "resolve first settles it", "settle"),
                preview("preview, local log: presumed abort", undecidedOld, f -> { }, ROLLBACK,
                        "than the safety interval (2m): presumed abort", "settle"),
                // The commit log is lost: markers decide, and only 3PC transactions.
                lost("log lost, marker found", Set.of(), threePc("n2"), marked(threePc("n2")), COMMIT,
                        "the pre-commit marker in db-b proves the decision was COMMIT"),
                lost("log lost, 2PC transaction", Set.of("n1"), twoPcOld, scan(twoPcOld), LEAVE,
                        "two-phase-commit transaction cannot be decided without its commit log"),
                lost("log lost, some markers unreadable", Set.of("n1"), threePc("n1"), markersUnreadable(threePc("n1")),
                        LEAVE, "the markers of db-b could not be read"),
                lost("log lost, no owner declared lost", Set.of(), threePc("n1"), scan(threePc("n1")), LEAVE,
                        "--assume-log-lost=n1 rolls it back"),
                lost("log lost, another owner declared lost", Set.of("n3", "n2"), threePc("n1"), scan(threePc("n1")),
                        LEAVE, "not declared lost (--assume-log-lost=n2,n3): n1 may be running"),
                lost("log lost, owner declared lost", Set.of("n1"), threePc("n1"), scan(threePc("n1")), ROLLBACK,
                        "declared node n1's commit log lost"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void eachRuleDecidesItsCase(Row row) {
        Found found = new Found();
        row.found().accept(found);
        PlannedStep step = new RecoveryRules(SAFETY, row.source()).decide(row.branch(), row.scan(), found,
                row.settling());
        assertThat(step.branch()).isSameAs(row.branch());
        assertThat(step.action()).as(row.rule()).isEqualTo(row.action());
        assertThat(step.reason()).as(row.rule()).contains(row.reasonContains());
        assertThat(found.asked).as("questions asked for: " + row.rule()).startsWith("liveness");
        for (String question : row.neverAsked()) {
            assertThat(found.asked).as("questions asked for: " + row.rule()).doesNotContain(question);
        }
    }

    @Test
    void theOwnersLivenessIsTheOnlyQuestionWhenItMayStillDecide() {
        Found found = new Found();
        found.mayStillDecide = "retrying";
        InDoubtBranch b = twoPc(Decision.UNKNOWN, Duration.ofHours(1));
        new RecoveryRules(SAFETY, LOG).decide(b, scan(b), found, Settling.SETTLE);
        assertThat(found.asked).containsExactly("liveness");
    }

    @Test
    void aNegativeSafetyIntervalIsRefused() {
        assertThatThrownBy(() -> new RecoveryRules(Duration.ofSeconds(-1), LOG))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("zero or positive");
    }

    @Test
    void durationsAndOwnersAreWrittenAsPeopleReadThem() {
        assertThat(RecoveryRules.text(Duration.ofMillis(450))).isEqualTo("450ms");
        assertThat(RecoveryRules.text(Duration.ofSeconds(12))).isEqualTo("12s");
        assertThat(RecoveryRules.text(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(RecoveryRules.text(Duration.ofMinutes(2))).isEqualTo("2m");
        assertThat(RecoveryRules.text(Duration.ofMinutes(195))).isEqualTo("3h15m");
        assertThat(RecoveryRules.ownerOf(gtrid("orders-1"))).isEqualTo("orders-1");
        assertThat(RecoveryRules.ownerOf("foreign")).isEqualTo("foreign");
    }
}
