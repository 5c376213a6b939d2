package io.quorumtx.it;

import static io.quorumtx.testsupport.H2Bank.CREDIT;
import static io.quorumtx.testsupport.H2Bank.DEBIT;
import static io.quorumtx.testsupport.H2Bank.INITIAL_BALANCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.quorumtx.it.support.BankCluster;
import io.quorumtx.it.support.WrappingStyle;
import jakarta.transaction.InvalidTransactionException;
import jakarta.transaction.Status;
import jakarta.transaction.Transaction;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Two transaction managers in one JVM (what failover tests will need) keep their own thread
 * association, transactions and outcomes: no global state.
 */
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class TwoManagersTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void twoManagersOnOneThreadCommitAndRollBackIndependently(WrappingStyle style) throws Exception {
        try (BankCluster one = BankCluster.start(dir.resolve("one"), style, 2, "node-one");
             BankCluster two = BankCluster.start(dir.resolve("two"), style, 2, "node-two")) {
            one.tm().begin();
            assertThat(two.tm().getStatus()).as("the other manager sees no transaction")
                    .isEqualTo(Status.STATUS_NO_TRANSACTION);
            one.update(0, DEBIT, 1, 5);
            one.update(1, CREDIT, 1, 5);

            two.tm().begin();
            two.update(0, DEBIT, 1, 7);
            two.update(1, CREDIT, 1, 7);
            two.tm().rollback();

            assertThat(one.tm().getStatus()).isEqualTo(Status.STATUS_ACTIVE);
            one.tm().commit();

            assertThat(one.bank(0).balance(1)).isEqualTo(INITIAL_BALANCE - 5);
            assertThat(one.bank(1).balance(1)).isEqualTo(INITIAL_BALANCE + 5);
            assertThat(two.bank(0).balance(1)).isEqualTo(INITIAL_BALANCE);
            assertThat(two.bank(1).balance(1)).isEqualTo(INITIAL_BALANCE);
        }
    }

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void aTransactionOfOneManagerCannotBeResumedByTheOther(WrappingStyle style) throws Exception {
        try (BankCluster one = BankCluster.start(dir.resolve("one"), style, 2, "node-one");
             BankCluster two = BankCluster.start(dir.resolve("two"), style, 2, "node-two")) {
            one.tm().begin();
            one.update(0, DEBIT, 2, 3);
            Transaction suspended = one.tm().suspend();

            assertThatThrownBy(() -> two.tm().resume(suspended)).isInstanceOf(InvalidTransactionException.class);

            one.tm().resume(suspended);
            one.update(1, CREDIT, 2, 3);
            one.tm().commit();
            assertThat(one.bank(0).balance(2)).isEqualTo(INITIAL_BALANCE - 3);
            assertThat(one.bank(1).balance(2)).isEqualTo(INITIAL_BALANCE + 3);
        }
    }
}
