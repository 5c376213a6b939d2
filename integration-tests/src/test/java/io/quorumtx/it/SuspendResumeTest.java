package io.quorumtx.it;

import static io.quorumtx.testsupport.H2Bank.CREDIT;
import static io.quorumtx.testsupport.H2Bank.DEBIT;
import static io.quorumtx.testsupport.H2Bank.INITIAL_BALANCE;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.quorumtx.it.support.BankCluster;
import io.quorumtx.it.support.WrappingStyle;
import jakarta.transaction.Status;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionManager;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** Work done while a transaction is suspended is outside it; resumed work belongs to it again. */
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class SuspendResumeTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void workWhileSuspendedAutoCommitsAndResumedWorkCommitsWithTheTransaction(WrappingStyle style)
            throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 2)) {
            TransactionManager tm = c.tm();
            tm.begin();
            c.update(0, DEBIT, 1, 10);

            Transaction suspended = tm.suspend();
            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
            c.update(1, CREDIT, 7, 3); // no transaction: the wrapped pool's auto-commit
            c.update(0, CREDIT, 7, 3); // same DataSource as the suspended branch, another connection
            assertThat(c.bank(1).balance(7)).as("auto-committed at once").isEqualTo(INITIAL_BALANCE + 3);
            assertThat(c.bank(0).balance(7)).isEqualTo(INITIAL_BALANCE + 3);
            assertThat(c.bank(0).balance(1)).as("the suspended work is not committed").isEqualTo(INITIAL_BALANCE);

            tm.resume(suspended);
            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_ACTIVE);
            c.update(1, CREDIT, 1, 10);
            tm.commit();

            assertThat(c.bank(0).balance(1)).isEqualTo(INITIAL_BALANCE - 10);
            assertThat(c.bank(1).balance(1)).isEqualTo(INITIAL_BALANCE + 10);
            assertThat(c.bank(0).balance(7)).isEqualTo(INITIAL_BALANCE + 3);
            assertThat(c.bank(1).balance(7)).isEqualTo(INITIAL_BALANCE + 3);
        }
    }

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void rollingBackTheResumedTransactionKeepsWhatWasDoneWhileSuspended(WrappingStyle style) throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 2)) {
            TransactionManager tm = c.tm();
            tm.begin();
            c.update(0, DEBIT, 2, 10);
            Transaction suspended = tm.suspend();
            c.update(1, CREDIT, 8, 4);
            tm.resume(suspended);
            c.update(1, CREDIT, 2, 10);
            tm.rollback();

            assertThat(c.bank(0).balance(2)).isEqualTo(INITIAL_BALANCE);
            assertThat(c.bank(1).balance(2)).isEqualTo(INITIAL_BALANCE);
            assertThat(c.bank(1).balance(8)).as("outside the transaction").isEqualTo(INITIAL_BALANCE + 4);
        }
    }
}
