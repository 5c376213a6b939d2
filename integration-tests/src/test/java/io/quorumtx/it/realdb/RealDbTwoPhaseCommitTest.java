package io.quorumtx.it.realdb;

import static io.quorumtx.it.realdb.Bank.INITIAL_BALANCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.quorumtx.it.support.WrappingStyle;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.TransactionManager;

/**
 * Commit, rollback and rollback-only on PostgreSQL, on MariaDB and across H2 + PostgreSQL +
 * MariaDB, with both wrapping styles; afterwards no branch of the test is prepared anywhere.
 */
class RealDbTwoPhaseCommitTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.quorumtx.it.realdb.Setups#all")
    void commitMakesTheTransferVisibleInEveryDatabase(Topology topology, WrappingStyle style) throws Exception {
        try (RealDbCluster c = RealDbCluster.start(dir, topology, style)) {
            TransactionManager tm = c.tm();
            tm.begin();
            c.debit(0, 1, 70);
            for (int i = 1; i < c.size(); i++) {
                c.credit(i, 2, 35);
            }
            c.debit(0, 3, 0); // a second getConnection() on the same DataSource joins the same branch
            assertThat(c.bank(0).balance(1)).as("not visible outside before commit").isEqualTo(INITIAL_BALANCE);
            tm.commit();

            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
            assertThat(c.bank(0).balance(1)).isEqualTo(INITIAL_BALANCE - 70);
            for (int i = 1; i < c.size(); i++) {
                assertThat(c.bank(i).balance(2)).as(c.bank(i).name()).isEqualTo(INITIAL_BALANCE + 35);
            }
            assertThat(c.bank(0).ops()).as("both updates in one branch").isEqualTo(2);
            assertThat(c.total()).isEqualTo(c.initialTotal() + 35L * (c.size() - 1) - 70);
            assertThat(c.preparedBranches()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.quorumtx.it.realdb.Setups#all")
    void rollbackUndoesTheWorkInEveryDatabaseAndReleasesTheLocks(Topology topology, WrappingStyle style)
            throws Exception {
        try (RealDbCluster c = RealDbCluster.start(dir, topology, style)) {
            TransactionManager tm = c.tm();
            tm.begin();
            for (int i = 0; i < c.size(); i++) {
                c.credit(i, 1, 40);
            }
            assertThat(c.bank(c.size() - 1).rowIsUnlocked(1)).as("the open branch holds its row").isFalse();
            tm.rollback();

            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
            for (int i = 0; i < c.size(); i++) {
                assertThat(c.bank(i).balance(1)).as(c.bank(i).name()).isEqualTo(INITIAL_BALANCE);
                assertThat(c.bank(i).rowIsUnlocked(1)).as("row lock released in " + c.bank(i)).isTrue();
            }
            assertThat(c.preparedBranches()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.quorumtx.it.realdb.Setups#all")
    void commitOfARollbackOnlyTransactionThrowsRollbackExceptionAndChangesNothing(Topology topology,
                                                                                 WrappingStyle style)
            throws Exception {
        try (RealDbCluster c = RealDbCluster.start(dir, topology, style)) {
            TransactionManager tm = c.tm();
            tm.begin();
            c.debit(0, 2, 15);
            c.credit(1, 2, 15);
            tm.setRollbackOnly();
            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_MARKED_ROLLBACK);

            assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class);

            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
            assertThat(c.bank(0).balance(2)).isEqualTo(INITIAL_BALANCE);
            assertThat(c.bank(1).balance(2)).isEqualTo(INITIAL_BALANCE);
            assertThat(c.bank(0).rowIsUnlocked(2)).isTrue();
            assertThat(c.bank(1).rowIsUnlocked(2)).isTrue();
            assertThat(c.preparedBranches()).isEmpty();
        }
    }
}
