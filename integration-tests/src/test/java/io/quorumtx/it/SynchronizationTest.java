package io.quorumtx.it;

import static io.quorumtx.testsupport.H2Bank.CREDIT;
import static io.quorumtx.testsupport.H2Bank.DEBIT;
import static io.quorumtx.testsupport.H2Bank.INITIAL_BALANCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.quorumtx.it.support.BankCluster;
import io.quorumtx.it.support.WrappingStyle;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionManager;
import jakarta.transaction.TransactionSynchronizationRegistry;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** Synchronizations around a two-database commit and rollback, both wrapping styles. */
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class SynchronizationTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void beforeCompletionRunsInsideTheActiveTransactionAndAfterCompletionSeesCommitted(WrappingStyle style)
            throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 2)) {
            TransactionManager tm = c.tm();
            List<String> events = new CopyOnWriteArrayList<>();
            tm.begin();
            c.update(0, DEBIT, 1, 10);
            c.update(1, CREDIT, 1, 10);
            tm.getTransaction().registerSynchronization(new Synchronization() {
                @Override
                public void beforeCompletion() {
                    try {
                        events.add("before:" + tm.getStatus());
                        // Work done here (a JPA flush, say) still belongs to the transaction.
                        c.update(1, CREDIT, 2, 1);
                        c.update(0, DEBIT, 2, 1);
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
            assertThat(c.bank(1).balance(2)).isEqualTo(INITIAL_BALANCE + 1);
            assertThat(c.bank(1).balance(1)).isEqualTo(INITIAL_BALANCE + 10);
        }
    }

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void afterCompletionSeesRolledBackAndBeforeCompletionIsNotCalledOnRollback(WrappingStyle style)
            throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 2)) {
            TransactionManager tm = c.tm();
            List<String> events = new CopyOnWriteArrayList<>();
            tm.begin();
            c.update(0, DEBIT, 1, 10);
            c.update(1, CREDIT, 1, 10);
            tm.getTransaction().registerSynchronization(recording(events, "sync"));
            tm.rollback();

            assertThat(events).containsExactly("sync.after:" + Status.STATUS_ROLLEDBACK);
            assertThat(c.bank(0).balance(1)).isEqualTo(INITIAL_BALANCE);
        }
    }

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void aFailingBeforeCompletionRollsBackAndAfterCompletionSeesRolledBack(WrappingStyle style) throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 2)) {
            TransactionManager tm = c.tm();
            List<String> events = new CopyOnWriteArrayList<>();
            tm.begin();
            c.update(0, DEBIT, 3, 10);
            c.update(1, CREDIT, 3, 10);
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
            assertThat(c.bank(0).balance(3)).isEqualTo(INITIAL_BALANCE);
            assertThat(c.bank(1).balance(3)).isEqualTo(INITIAL_BALANCE);
            assertThat(c.inDoubt()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void interposedSynchronizationsRunInsideTheOrdinaryOnes(WrappingStyle style) throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 2)) {
            TransactionManager tm = c.tm();
            TransactionSynchronizationRegistry registry = c.tm().getTransactionSynchronizationRegistry();
            List<String> events = new CopyOnWriteArrayList<>();
            tm.begin();
            c.update(0, DEBIT, 4, 10);
            c.update(1, CREDIT, 4, 10);
            registry.registerInterposedSynchronization(recording(events, "interposed"));
            tm.getTransaction().registerSynchronization(recording(events, "sync"));
            tm.commit();

            // JTA 1.1, section 3.3.2: interposed beforeCompletion after the ordinary ones,
            // interposed afterCompletion before them.
            assertThat(events).containsExactly("sync.before", "interposed.before",
                    "interposed.after:" + Status.STATUS_COMMITTED, "sync.after:" + Status.STATUS_COMMITTED);
            assertThat(c.bank(1).balance(4)).isEqualTo(INITIAL_BALANCE + 10);
        }
    }

    private static Synchronization recording(List<String> events, String name) {
        return new Synchronization() {
            @Override
            public void beforeCompletion() {
                events.add(name + ".before");
            }

            @Override
            public void afterCompletion(int status) {
                events.add(name + ".after:" + status);
            }
        };
    }
}
