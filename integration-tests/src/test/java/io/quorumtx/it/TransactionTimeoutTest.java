package io.quorumtx.it;

import static io.quorumtx.testsupport.H2Bank.CREDIT;
import static io.quorumtx.testsupport.H2Bank.DEBIT;
import static io.quorumtx.testsupport.H2Bank.INITIAL_BALANCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.quorumtx.it.support.BankCluster;
import io.quorumtx.it.support.WrappingStyle;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.TransactionManager;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** An overdue transaction is rolled back by the reaper, and its later commit fails. */
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class TransactionTimeoutTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void theReaperRollsBackAnOverdueTransactionAndItsCommitThrowsRollbackException(WrappingStyle style)
            throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 2)) {
            TransactionManager tm = c.tm();
            tm.setTransactionTimeout(2);
            tm.begin();
            c.update(0, DEBIT, 5, 10);
            c.update(1, CREDIT, 5, 10);
            assertThat(c.bank(0).rowIsUnlocked(5)).as("the open branch holds its row").isFalse();

            // The reaper rolls back branches that have not prepared: their row locks go away
            // while the application still holds the transaction.
            Poll.ignoringExceptions("the reaper has rolled back the overdue transaction", Duration.ofSeconds(15),
                    () -> tm.getStatus() != Status.STATUS_ACTIVE
                            && c.bank(0).rowIsUnlocked(5) && c.bank(1).rowIsUnlocked(5));
            assertThat(tm.getStatus()).isIn(Status.STATUS_MARKED_ROLLBACK, Status.STATUS_ROLLEDBACK,
                    Status.STATUS_ROLLING_BACK);

            assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class);

            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
            assertThat(c.bank(0).balance(5)).isEqualTo(INITIAL_BALANCE);
            assertThat(c.bank(1).balance(5)).isEqualTo(INITIAL_BALANCE);
            assertThat(c.inDoubt()).isZero();

            // The timeout applied to that transaction only when reset; the next one commits.
            tm.setTransactionTimeout(0);
            tm.begin();
            c.update(0, DEBIT, 6, 1);
            c.update(1, CREDIT, 6, 1);
            tm.commit();
            assertThat(c.bank(1).balance(6)).isEqualTo(INITIAL_BALANCE + 1);
        }
    }
}
