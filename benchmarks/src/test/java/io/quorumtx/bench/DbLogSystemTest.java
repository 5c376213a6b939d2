package io.quorumtx.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.quorumtx.testsupport.Poll;

/**
 * {@code quorumtx-dblog} and {@code quorumtx-dblog-dialect} as the benchmark builds them, on two
 * H2 databases in memory: every transfer's decision is carried in A's one-phase commit (none
 * written standalone), both databases hold every acknowledged transfer, the deleter empties the
 * decision table, and closing the system drops the log's tables.
 */
class DbLogSystemTest {
    private static final int TRANSFERS = 30;

    @ParameterizedTest(name = "xa wrapping: {0}")
    @ValueSource(booleans = {true, false})
    void everyDecisionRidesInBankAsCommitAndTheTableDrains(boolean xa) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        BankDatabase a = new BankDatabase(Workload.H2_MEM, url(run, "a"), 100);
        BankDatabase b = new BankDatabase(Workload.H2_MEM, url(run, "b"), 100);
        try {
            try (TransferSystem system = QuorumSystem.dbLog(xa, a, b, 2)) {
                try (TransferSystem.Client client = system.newClient()) {
                    for (int i = 0; i < TRANSFERS; i++) {
                        client.transfer(1 + i % 100, 1 + (i * 7) % 100, 5);
                    }
                }
                assertThat(system.diagnostics()).startsWith("dblog: " + TRANSFERS + " decisions carried in A's commit,"
                        + " 0 standalone (0 commits)");
                Poll.until("the deleter removes the rows of the finished transfers", Duration.ofSeconds(30),
                        () -> count(a, "SELECT COUNT(*) FROM " + DbLogSetup.PREFIX + "_decisions") == 0);
            }
            assertThat(a.totals().ops()).isEqualTo(TRANSFERS);
            assertThat(b.totals().ops()).isEqualTo(TRANSFERS);
            assertThat(a.totals().balance() + b.totals().balance()).isEqualTo(a.initialTotal() + b.initialTotal());
            assertThat(count(a, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE LOWER(TABLE_NAME) LIKE '"
                    + DbLogSetup.PREFIX + "%'")).as("the log's tables are dropped on close").isZero();
        } finally {
            a.shutdown();
            b.shutdown();
        }
    }

    private static String url(String run, String db) {
        return "jdbc:h2:mem:dblog-" + run + "-" + db + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000";
    }

    private static long count(BankDatabase db, String sql) throws SQLException {
        try (Connection c = db.open(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
