package io.quorumtx.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PreparedTransactionSlotsTest {
    private static final String RESTART_15_MAIN = "pg_ctlcluster --skip-systemctl-redirect 15 main restart";

    @Test
    void zeroSkipsTheWholeWorkloadWithTheAlterSystemStatementAndThisServersRestartCommand() {
        PreparedTransactionSlots slots = new PreparedTransactionSlots(0,
                PreparedTransactionSlots.restartCommand("15/main", 150_020), false);

        assertThat(slots.maxThreads()).isZero();
        assertThat(slots.workloadProblem(64)).hasValueSatisfying(problem -> assertThat(problem)
                .startsWith("max_prepared_transactions = 0, which disables two-phase commit")
                .contains("psql -h 127.0.0.1 -U postgres -c 'ALTER SYSTEM SET max_prepared_transactions = 128'")
                .endsWith("&& " + RESTART_15_MAIN)
                .doesNotContain("simulated"));
    }

    @Test
    void oneSlotIsNotEnoughForOneThreadWhichPreparesInTwoDatabases() {
        PreparedTransactionSlots slots = new PreparedTransactionSlots(1, RESTART_15_MAIN, false);

        assertThat(slots.maxThreads()).isZero();
        assertThat(slots.workloadProblem(1)).isPresent();
    }

    @Test
    void theDefaultOf128RunsUpTo64ThreadsAndSkipsNothing() {
        PreparedTransactionSlots slots = new PreparedTransactionSlots(128, RESTART_15_MAIN, false);

        assertThat(slots.maxThreads()).isEqualTo(64);
        assertThat(slots.workloadProblem(64)).isEmpty();
    }

    @Test
    void theFixNamesAValueThatCoversTheThreadsAskedFor() {
        PreparedTransactionSlots slots = new PreparedTransactionSlots(20, RESTART_15_MAIN, false);

        assertThat(slots.maxThreads()).isEqualTo(10);
        assertThat(slots.threadLimit(100))
                .contains("max_prepared_transactions = 20")
                .contains("ALTER SYSTEM SET max_prepared_transactions = 200'");
        assertThat(slots.fix(16)).contains("= 128'");
    }

    @Test
    void aSimulatedReadingSaysSoInEveryMessage() {
        PreparedTransactionSlots slots = new PreparedTransactionSlots(0, RESTART_15_MAIN, true);

        assertThat(slots.workloadProblem(16)).hasValueSatisfying(problem -> assertThat(problem)
                .contains("max_prepared_transactions = 0 (simulated by -Dbench.simulate.maxPreparedTransactions;"));
        assertThat(new PreparedTransactionSlots(8, RESTART_15_MAIN, true).threadLimit(16)).contains("simulated");
    }

    @Test
    void theRestartCommandComesFromTheClusterNameOrElseTheMajorVersion() {
        assertThat(PreparedTransactionSlots.restartCommand("15/main", 150_020)).isEqualTo(RESTART_15_MAIN);
        assertThat(PreparedTransactionSlots.restartCommand("14/reports", 140_011))
                .isEqualTo("pg_ctlcluster --skip-systemctl-redirect 14 reports restart");
        assertThat(PreparedTransactionSlots.restartCommand("", 160_004))
                .isEqualTo("pg_ctlcluster --skip-systemctl-redirect 16 main restart");
        assertThat(PreparedTransactionSlots.restartCommand("orders", 90_624))
                .isEqualTo("pg_ctlcluster --skip-systemctl-redirect 9.6 main restart");
        assertThat(PreparedTransactionSlots.restartCommand(null, 170_000))
                .isEqualTo("pg_ctlcluster --skip-systemctl-redirect 17 main restart");
    }
}
