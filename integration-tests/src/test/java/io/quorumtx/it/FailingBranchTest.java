package io.quorumtx.it;

import static io.quorumtx.testsupport.H2Bank.CREDIT;
import static io.quorumtx.testsupport.H2Bank.DEBIT;
import static io.quorumtx.testsupport.H2Bank.INITIAL_BALANCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.quorumtx.it.support.BankCluster;
import io.quorumtx.it.support.WrappingStyle;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionManager;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Branches that fail: a "no" vote in phase 1 rolls every branch back; a connection lost in
 * phase 2 does not fail the decided commit, and the retry finishes the branch.
 */
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class FailingBranchTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void aBranchThatVotesNoRollsBackEveryBranch(WrappingStyle style) throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 3)) {
            TransactionManager tm = c.tm();
            c.faults(2).refuseNextPrepares(1);
            AtomicInteger finalStatus = new AtomicInteger(-1);
            tm.begin();
            tm.getTransaction().registerSynchronization(afterCompletion(finalStatus));
            c.update(0, DEBIT, 1, 60);
            c.update(1, CREDIT, 1, 30);
            c.update(2, CREDIT, 1, 30);

            assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class);

            assertThat(c.faults(2).preparesRefused()).as("the no vote was cast").isEqualTo(1);
            assertThat(finalStatus.get()).isEqualTo(Status.STATUS_ROLLEDBACK);
            assertThat(tm.getStatus()).isEqualTo(Status.STATUS_NO_TRANSACTION);
            for (int i = 0; i < 3; i++) {
                assertThat(c.bank(i).balance(1)).as(c.bank(i).name()).isEqualTo(INITIAL_BALANCE);
                assertThat(c.bank(i).inDoubt()).as("in doubt in " + c.bank(i)).isZero();
                assertThat(c.bank(i).rowIsUnlocked(1)).as("row lock released in " + c.bank(i)).isTrue();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void aConnectionLostInPhaseTwoDoesNotFailTheCommitAndTheRetryFinishesTheBranch(WrappingStyle style)
            throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 2)) {
            TransactionManager tm = c.tm();
            c.faults(1).loseConnectionOnNextCommits(1);
            AtomicInteger finalStatus = new AtomicInteger(-1);
            tm.begin();
            tm.getTransaction().registerSynchronization(afterCompletion(finalStatus));
            c.update(0, DEBIT, 2, 25);
            c.update(1, CREDIT, 3, 25);

            tm.commit(); // the decision is logged: a phase-2 failure must not surface here

            assertThat(c.faults(1).commitsFailed()).as("the phase-2 failure happened").isEqualTo(1);
            assertThat(finalStatus.get()).isEqualTo(Status.STATUS_COMMITTED);
            assertThat(c.bank(0).balance(2)).isEqualTo(INITIAL_BALANCE - 25);
            Poll.ignoringExceptions("the retried branch is committed in " + c.bank(1), Duration.ofSeconds(30),
                    () -> c.bank(1).balance(3) == INITIAL_BALANCE + 25 && c.bank(1).inDoubt() == 0);
            assertThat(c.total()).isEqualTo(c.initialTotal());

            // The wrapped DataSource still works after losing a connection.
            tm.begin();
            c.update(0, DEBIT, 4, 1);
            c.update(1, CREDIT, 4, 1);
            tm.commit();
            assertThat(c.bank(1).balance(4)).isEqualTo(INITIAL_BALANCE + 1);
        }
    }

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void aTransientPhaseTwoFailureOnALiveConnectionIsRetriedToCommit(WrappingStyle style) throws Exception {
        // H2's XAConnection.close() rolls back even a prepared branch: the adapter must keep the
        // connection until the retry has finished the branch through it.
        try (BankCluster c = BankCluster.start(dir, style, 2)) {
            TransactionManager tm = c.tm();
            c.faults(1).failNextCommitsTransiently(1);
            tm.begin();
            c.update(0, DEBIT, 5, 9);
            c.update(1, CREDIT, 5, 9);

            tm.commit();

            assertThat(c.faults(1).commitsFailed()).as("the phase-2 failure happened").isEqualTo(1);
            assertThat(c.bank(0).balance(5)).isEqualTo(INITIAL_BALANCE - 9);
            Poll.ignoringExceptions("the retried branch is committed in " + c.bank(1), Duration.ofSeconds(15),
                    () -> c.bank(1).balance(5) == INITIAL_BALANCE + 9 && c.bank(1).inDoubt() == 0);
        }
    }

    static Synchronization afterCompletion(AtomicInteger status) {
        return new Synchronization() {
            @Override
            public void beforeCompletion() {
            }

            @Override
            public void afterCompletion(int s) {
                status.set(s);
            }
        };
    }
}
