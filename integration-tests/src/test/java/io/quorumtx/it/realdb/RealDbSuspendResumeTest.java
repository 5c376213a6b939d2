package io.quorumtx.it.realdb;

import static io.quorumtx.it.realdb.Bank.INITIAL_BALANCE;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.quorumtx.it.support.WrappingStyle;
import jakarta.transaction.Status;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionManager;

/** On real databases, work done while a transaction is suspended is outside it; resumed work belongs to it again. */
class RealDbSuspendResumeTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.quorumtx.it.realdb.Setups#all")
    void workWhileSuspendedAutoCommitsAndResumedWorkCommitsWithTheTransaction(Topology topology,
                                                                             WrappingStyle style) throws Exception {
        try (RealDbCluster c = RealDbCluster.start(dir, topology, style)) {
            TransactionManager tm = c.tm();
            tm.begin();
            c.debit(0, 1, 10);

            Transaction suspended = tm.suspend();
            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
            c.credit(1, 7, 3); // no transaction: the wrapped pool's auto-commit
            c.credit(0, 7, 3); // same DataSource as the suspended branch, another connection
            assertThat(c.bank(1).balance(7)).as("auto-committed at once").isEqualTo(INITIAL_BALANCE + 3);
            assertThat(c.bank(0).balance(7)).isEqualTo(INITIAL_BALANCE + 3);
            assertThat(c.bank(0).balance(1)).as("the suspended work is not committed").isEqualTo(INITIAL_BALANCE);

            tm.resume(suspended);
            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_ACTIVE);
            c.credit(c.size() - 1, 1, 10);
            tm.commit();

            assertThat(c.bank(0).balance(1)).isEqualTo(INITIAL_BALANCE - 10);
            assertThat(c.bank(c.size() - 1).balance(1)).isEqualTo(INITIAL_BALANCE + 10);
            assertThat(c.bank(0).balance(7)).isEqualTo(INITIAL_BALANCE + 3);
            assertThat(c.preparedBranches()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.quorumtx.it.realdb.Setups#all")
    void rollingBackTheResumedTransactionKeepsWhatWasDoneWhileSuspended(Topology topology, WrappingStyle style)
            throws Exception {
        try (RealDbCluster c = RealDbCluster.start(dir, topology, style)) {
            TransactionManager tm = c.tm();
            tm.begin();
            c.debit(0, 2, 10);
            Transaction suspended = tm.suspend();
            c.credit(1, 8, 4);
            tm.resume(suspended);
            c.credit(1, 2, 10);
            tm.rollback();

            assertThat(c.bank(0).balance(2)).isEqualTo(INITIAL_BALANCE);
            assertThat(c.bank(1).balance(2)).isEqualTo(INITIAL_BALANCE);
            assertThat(c.bank(1).balance(8)).as("outside the transaction").isEqualTo(INITIAL_BALANCE + 4);
            assertThat(c.preparedBranches()).isEmpty();
        }
    }
}
