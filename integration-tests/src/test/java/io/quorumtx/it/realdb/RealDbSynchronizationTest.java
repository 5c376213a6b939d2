package io.quorumtx.it.realdb;

import static io.quorumtx.it.realdb.Bank.INITIAL_BALANCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.quorumtx.it.support.WrappingStyle;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionManager;

/** Synchronizations around a commit and a failed one on real databases, both wrapping styles. */
class RealDbSynchronizationTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.quorumtx.it.realdb.Setups#all")
    void workDoneInBeforeCompletionCommitsWithTheTransactionAndAfterCompletionSeesCommitted(Topology topology,
                                                                                           WrappingStyle style)
            throws Exception {
        try (RealDbCluster c = RealDbCluster.start(dir, topology, style)) {
            TransactionManager tm = c.tm();
            List<String> events = new CopyOnWriteArrayList<>();
            tm.begin();
            c.debit(0, 1, 10);
            c.credit(1, 1, 10);
            tm.getTransaction().registerSynchronization(new Synchronization() {
                @Override
                public void beforeCompletion() {
                    try {
                        events.add("before:" + tm.getStatus());
                        // Work done here (a JPA flush, say) still belongs to the transaction.
                        c.debit(0, 2, 1);
                        c.credit(c.size() - 1, 2, 1);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }

                @Override
                public void afterCompletion(int status) {
                    events.add("after:" + status);
                }
            });
            tm.commit();

            assertThat(events).containsExactly("before:" + Status.STATUS_ACTIVE, "after:" + Status.STATUS_COMMITTED);
            assertThat(c.bank(0).balance(2)).as("work of beforeCompletion committed").isEqualTo(INITIAL_BALANCE - 1);
            assertThat(c.bank(c.size() - 1).balance(2)).isEqualTo(INITIAL_BALANCE + 1);
            assertThat(c.bank(1).balance(1)).isEqualTo(INITIAL_BALANCE + 10);
            assertThat(c.preparedBranches()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.quorumtx.it.realdb.Setups#all")
    void aFailingBeforeCompletionRollsBackEveryDatabaseAndAfterCompletionSeesRolledBack(Topology topology,
                                                                                       WrappingStyle style)
            throws Exception {
        try (RealDbCluster c = RealDbCluster.start(dir, topology, style)) {
            TransactionManager tm = c.tm();
            List<String> events = new CopyOnWriteArrayList<>();
            tm.begin();
            for (int i = 0; i < c.size(); i++) {
                c.credit(i, 3, 10);
            }
            tm.getTransaction().registerSynchronization(new Synchronization() {
                @Override
                public void beforeCompletion() {
                    throw new IllegalStateException("validation failed");
                }

                @Override
                public void afterCompletion(int status) {
                    events.add("after:" + status);
                }
            });

            assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class);

            assertThat(events).containsExactly("after:" + Status.STATUS_ROLLEDBACK);
            for (int i = 0; i < c.size(); i++) {
                assertThat(c.bank(i).balance(3)).as(c.bank(i).name()).isEqualTo(INITIAL_BALANCE);
                assertThat(c.bank(i).rowIsUnlocked(3)).as("row lock released in " + c.bank(i)).isTrue();
            }
            assertThat(c.preparedBranches()).isEmpty();
        }
    }
}
