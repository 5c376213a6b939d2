package io.quorumtx.it.realdb;

import static io.quorumtx.it.realdb.Bank.INITIAL_BALANCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.quorumtx.it.support.WrappingStyle;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.TransactionManager;

/** On real databases, an overdue transaction is rolled back by the reaper (its row locks go) and its later commit fails. */
class RealDbTransactionTimeoutTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.quorumtx.it.realdb.Setups#all")
    void theReaperRollsBackAnOverdueTransactionAndItsCommitThrowsRollbackException(Topology topology,
                                                                                  WrappingStyle style)
            throws Exception {
        try (RealDbCluster c = RealDbCluster.start(dir, topology, style)) {
            TransactionManager tm = c.tm();
            // Two seconds, not one: the locks must still be held when the test probes them on a busy machine.
            tm.setTransactionTimeout(2);
            tm.begin();
            for (int i = 0; i < c.size(); i++) {
                c.credit(i, 5, i == 0 ? -10 : 5);
            }
            for (int i = 0; i < c.size(); i++) {
                assertThat(c.bank(i).rowIsUnlocked(5)).as("the open branch holds its row in " + c.bank(i)).isFalse();
            }

            Poll.ignoringExceptions("the reaper has rolled back the overdue transaction", Duration.ofSeconds(15),
                    () -> tm.getStatus() != Status.STATUS_ACTIVE && allUnlocked(c, 5));
            assertThat(tm.getStatus()).isIn(Status.STATUS_MARKED_ROLLBACK, Status.STATUS_ROLLEDBACK,
                    Status.STATUS_ROLLING_BACK);

            assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class);

            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
            for (int i = 0; i < c.size(); i++) {
                assertThat(c.bank(i).balance(5)).as(c.bank(i).name()).isEqualTo(INITIAL_BALANCE);
            }
            assertThat(c.preparedBranches()).isEmpty();

            // The timeout applied to that transaction only when reset; the next one commits.
            tm.setTransactionTimeout(0);
            tm.begin();
            c.debit(0, 6, 1);
            c.credit(1, 6, 1);
            tm.commit();
            assertThat(c.bank(1).balance(6)).isEqualTo(INITIAL_BALANCE + 1);
        }
    }

    private static boolean allUnlocked(RealDbCluster c, int id) throws Exception {
        for (int i = 0; i < c.size(); i++) {
            if (!c.bank(i).rowIsUnlocked(id)) {
                return false;
            }
        }
        return true;
    }
}
