package io.quorumtx.it;

import static io.quorumtx.testsupport.H2Bank.CREDIT;
import static io.quorumtx.testsupport.H2Bank.DEBIT;
import static io.quorumtx.testsupport.H2Bank.INITIAL_BALANCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;

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

/** Commit, rollback and rollback-only across two and three H2 file databases, both wrapping styles. */
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class TwoPhaseCommitTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void commitMakesTheTransferVisibleInBothDatabases(WrappingStyle style) throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 2)) {
            TransactionManager tm = c.tm();
            tm.begin();
            c.update(0, DEBIT, 1, 70);
            c.update(1, CREDIT, 2, 70);
            assertThat(c.bank(0).balance(1)).as("not visible outside before commit").isEqualTo(INITIAL_BALANCE);
            tm.commit();

            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
            assertThat(c.bank(0).balance(1)).isEqualTo(INITIAL_BALANCE - 70);
            assertThat(c.bank(1).balance(2)).isEqualTo(INITIAL_BALANCE + 70);
            assertThat(c.inDoubt()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void commitAcrossThreeDatabasesCommitsEveryBranch(WrappingStyle style) throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 3)) {
            TransactionManager tm = c.tm();
            tm.begin();
            c.update(0, DEBIT, 3, 30);
            c.update(1, CREDIT, 4, 10);
            c.update(2, CREDIT, 5, 20);
            // A second getConnection() on the same DataSource is the same branch: it sees the
            // first one's uncommitted work.
            c.update(0, DEBIT, 6, 5);
            c.update(1, CREDIT, 6, 5);
            try (Connection con = c.dataSource(0).getConnection();
                 ResultSet rs = con.createStatement().executeQuery("SELECT balance FROM account WHERE id = 3")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(INITIAL_BALANCE - 30);
            }
            tm.commit();

            assertThat(c.bank(0).balance(3)).isEqualTo(INITIAL_BALANCE - 30);
            assertThat(c.bank(0).balance(6)).isEqualTo(INITIAL_BALANCE - 5);
            assertThat(c.bank(1).balance(4)).isEqualTo(INITIAL_BALANCE + 10);
            assertThat(c.bank(1).balance(6)).isEqualTo(INITIAL_BALANCE + 5);
            assertThat(c.bank(2).balance(5)).isEqualTo(INITIAL_BALANCE + 20);
            assertThat(c.total()).isEqualTo(c.initialTotal());
            assertThat(c.inDoubt()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void rollbackUndoesTheWorkInEveryDatabase(WrappingStyle style) throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 3)) {
            TransactionManager tm = c.tm();
            tm.begin();
            c.update(0, DEBIT, 1, 40);
            c.update(1, CREDIT, 1, 20);
            c.update(2, CREDIT, 1, 20);
            tm.rollback();

            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
            for (int i = 0; i < 3; i++) {
                assertThat(c.bank(i).balance(1)).as(c.bank(i).name()).isEqualTo(INITIAL_BALANCE);
                assertThat(c.bank(i).rowIsUnlocked(1)).as("row lock released in " + c.bank(i)).isTrue();
            }
            assertThat(c.inDoubt()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void commitOfARollbackOnlyTransactionThrowsRollbackExceptionAndChangesNothing(WrappingStyle style)
            throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 2)) {
            TransactionManager tm = c.tm();
            tm.begin();
            c.update(0, DEBIT, 2, 15);
            c.update(1, CREDIT, 2, 15);
            tm.setRollbackOnly();
            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_MARKED_ROLLBACK);

            assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class);

            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
            assertThat(c.bank(0).balance(2)).isEqualTo(INITIAL_BALANCE);
            assertThat(c.bank(1).balance(2)).isEqualTo(INITIAL_BALANCE);
            assertThat(c.bank(0).rowIsUnlocked(2)).isTrue();
            assertThat(c.bank(1).rowIsUnlocked(2)).isTrue();
            assertThat(c.inDoubt()).isZero();
        }
    }
}
