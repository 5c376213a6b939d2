package io.quorumtx.it.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The campaign's checker is not blind: each broken promise it exists to catch, fabricated in the
 * databases' journals and the members' lines, is named with its gtrid; a clean outcome is not.
 */
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class VerdictTest {
    private static final List<String> BANKS = List.of("pg", "maria");

    private static final Transfers TRANSFERS = Transfers.parse(List.of(
            List.of("READY", "TX 1 n1.a", "OK 1 .", "TX 2 n1.b", "FAIL 2 jakarta.transaction.RollbackException: no",
                    "TX 3 n1.c", "FAIL 3 jakarta.transaction.SystemException: in doubt", "TX 4 n1.d", "OK 4"),
            List.of("READY", "TX 1 n1.e", "OK 1 .")));

    @Test
    void linesGiveEachTransferTheOutcomeItsCommitReported() {
        assertThat(TRANSFERS.outcomes()).containsOnlyKeys("n1.a", "n1.b", "n1.c", "n1.d", "n1.e");
        assertThat(TRANSFERS.outcomes().get("n1.a")).isEqualTo(Transfers.Outcome.COMMITTED);
        assertThat(TRANSFERS.outcomes().get("n1.b")).isEqualTo(Transfers.Outcome.ROLLED_BACK);
        assertThat(TRANSFERS.outcomes().get("n1.c")).isEqualTo(Transfers.Outcome.UNKNOWN);
        assertThat(TRANSFERS.outcomes().get("n1.d")).as("an OK line cut short by a kill").isEqualTo(
                Transfers.Outcome.UNKNOWN);
        assertThat(TRANSFERS.outcomes().get("n1.e")).as("numbers restart with an incarnation").isEqualTo(
                Transfers.Outcome.COMMITTED);
    }

    @Test
    void aCleanOutcomeHasNoViolation() {
        Verdict v = verdict(Set.of("n1.a", "n1.c", "n1.e"), Set.of("n1.a", "n1.c", "n1.e"), 2000, Set.of());
        assertThat(v.violations()).isEmpty();
        assertThat(v.summary()).contains("attempted=5", "acknowledged (commit returned)=2", "reported rolled back=1",
                "committed (in both databases)=3");
    }

    @Test
    void aTransferInOneDatabaseOnlyIsNamed() {
        Verdict v = verdict(Set.of("n1.a", "n1.c", "n1.e"), Set.of("n1.a", "n1.e"), 2000, Set.of());
        assertThat(v.violations()).containsExactly("in pg only: n1.c (commit() reported UNKNOWN)");
    }

    @Test
    void anAcknowledgedTransferMissingEverywhereIsNamed() {
        Verdict v = verdict(Set.of("n1.a"), Set.of("n1.a"), 2000, Set.of());
        assertThat(v.violations()).containsExactly(
                "commit() returned but the transfer is not in every database: n1.e");
    }

    @Test
    void aTransferReportedRolledBackButKeptIsNamed() {
        Verdict v = verdict(Set.of("n1.a", "n1.b", "n1.e"), Set.of("n1.a", "n1.b", "n1.e"), 2000, Set.of());
        assertThat(v.violations()).containsExactly(
                "commit() threw RollbackException but the transfer is in pg and maria: n1.b");
    }

    @Test
    void lostMoneyAndBranchesLeftPreparedAreNamed() {
        Verdict v = verdict(Set.of("n1.a", "n1.e"), Set.of("n1.a", "n1.e"), 1990, Set.of("maria: n1.x"));
        assertThat(v.violations()).containsExactly("still prepared after recovery: maria: n1.x",
                "money not conserved: 1990 in all accounts, 2000 at the start");
    }

    private static Verdict verdict(Set<String> pg, Set<String> maria, long total, Set<String> prepared) {
        return Verdict.of(new Verdict.Databases(BANKS, List.of(pg, maria), total, 2000, prepared), TRANSFERS);
    }
}
