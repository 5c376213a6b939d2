package io.quorumtx.it.realdb;

import static io.quorumtx.it.realdb.Bank.INITIAL_BALANCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.quorumtx.it.support.WrappingStyle;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionManager;

/**
 * Branches that fail on real databases: a "no" vote in phase 1 rolls every branch back; a
 * connection lost in phase 2 (the branch stays prepared in PostgreSQL or MariaDB) does not fail
 * the decided commit, and the retry finishes the branch; a phase-2 timeout on a live connection
 * is retried too. Afterwards no branch of the test is prepared anywhere.
 */
class RealDbFailingBranchTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.quorumtx.it.realdb.Setups#all")
    void aBranchThatVotesNoRollsBackEveryBranch(Topology topology, WrappingStyle style) throws Exception {
        try (RealDbCluster c = RealDbCluster.start(dir, topology, style)) {
            TransactionManager tm = c.tm();
            int last = c.size() - 1;
            c.faults(last).refuseNextPrepares(1);
            AtomicInteger finalStatus = new AtomicInteger(-1);
            tm.begin();
            tm.getTransaction().registerSynchronization(afterCompletion(finalStatus));
            c.debit(0, 1, 60);
            for (int i = 1; i < c.size(); i++) {
                c.credit(i, 1, 60 / (c.size() - 1));
            }

            assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class);

            assertThat(c.faults(last).preparesRefused()).as("the no vote was cast").isEqualTo(1);
            assertThat(finalStatus.get()).isEqualTo(Status.STATUS_ROLLEDBACK);
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
    void connectionsLostInPhaseTwoDoNotFailTheCommitAndTheRetryFinishesTheBranches(Topology topology,
                                                                                  WrappingStyle style)
            throws Exception {
        try (RealDbCluster c = RealDbCluster.start(dir, topology, style)) {
            TransactionManager tm = c.tm();
            for (int i = 1; i < c.size(); i++) {
                c.faults(i).loseConnectionOnNextCommits(1);
            }
            AtomicInteger finalStatus = new AtomicInteger(-1);
            tm.begin();
            tm.getTransaction().registerSynchronization(afterCompletion(finalStatus));
            c.debit(0, 2, 50);
            for (int i = 1; i < c.size(); i++) {
                c.credit(i, 3, 50 / (c.size() - 1));
            }

            tm.commit(); // the decision is logged: a phase-2 failure must not surface here

            assertThat(finalStatus.get()).isEqualTo(Status.STATUS_COMMITTED);
            assertThat(c.bank(0).balance(2)).isEqualTo(INITIAL_BALANCE - 50);
            for (int i = 1; i < c.size(); i++) {
                assertThat(c.faults(i).commitsFailed()).as("the phase-2 failure happened in " + c.bank(i)).isEqualTo(1);
                Bank bank = c.bank(i);
                long expected = INITIAL_BALANCE + 50 / (c.size() - 1);
                Poll.ignoringExceptions("the retried branch is committed in " + bank, Duration.ofSeconds(30),
                        () -> bank.balance(3) == expected);
            }
            Poll.ignoringExceptions("no branch left prepared", Duration.ofSeconds(10), () -> c.preparedBranches().isEmpty());
            assertThat(c.total()).isEqualTo(c.initialTotal());

            // The wrapped DataSources still work after losing a connection.
            tm.begin();
            for (int i = 0; i < c.size(); i++) {
                c.credit(i, 4, i == 0 ? -(c.size() - 1) : 1);
            }
            tm.commit();
            assertThat(c.bank(c.size() - 1).balance(4)).isEqualTo(INITIAL_BALANCE + 1);
            assertThat(c.total()).isEqualTo(c.initialTotal());
            assertThat(c.preparedBranches()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.quorumtx.it.realdb.Setups#all")
    void aTransientPhaseTwoFailureOnALiveConnectionIsRetriedToCommit(Topology topology, WrappingStyle style)
            throws Exception {
        try (RealDbCluster c = RealDbCluster.start(dir, topology, style)) {
            TransactionManager tm = c.tm();
            c.faults(1).failNextCommitsTransiently(1);
            tm.begin();
            c.debit(0, 5, 9);
            c.credit(1, 5, 9);

            tm.commit();

            assertThat(c.faults(1).commitsFailed()).as("the phase-2 failure happened").isEqualTo(1);
            assertThat(c.bank(0).balance(5)).isEqualTo(INITIAL_BALANCE - 9);
            Poll.ignoringExceptions("the retried branch is committed in " + c.bank(1), Duration.ofSeconds(15),
                    () -> c.bank(1).balance(5) == INITIAL_BALANCE + 9 && c.preparedBranches().isEmpty());
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
