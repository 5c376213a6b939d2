package io.quorumtx.tm.transactional;

import static jakarta.transaction.Transactional.TxType.REQUIRED;
import static jakarta.transaction.Transactional.TxType.REQUIRES_NEW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.QuorumTransactionManager;
import jakarta.transaction.Status;
import jakarta.transaction.Transaction;
import jakarta.transaction.Transactional;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code @Transactional} on a concrete class without an interface, through a generated subclass. */
class ClassProxyTest {

    /** A service class with a constructor argument and no interface. */
    public static class Ledger {
        private final QuorumTransactionManager tm;
        final Outcomes outcomes = new Outcomes();

        public Ledger(QuorumTransactionManager tm) {
            this.tm = tm;
        }

        @Transactional(REQUIRED)
        public Transaction post() throws Exception {
            return outcomes.watch(tm.getTransaction());
        }

        @Transactional(REQUIRES_NEW)
        public Transaction audit() throws Exception {
            return tm.getTransaction();
        }

        /** Calls another annotated method on this: the subclass intercepts it too. */
        @Transactional(REQUIRED)
        public Transaction[] postThenAudit() throws Exception {
            return new Transaction[] {tm.getTransaction(), audit()};
        }

        @Transactional(REQUIRED)
        public void fail() {
            throw new IllegalStateException("rolled back");
        }

        public String plain() throws Exception {
            return tm.getTransaction() == null ? "no transaction" : "in a transaction";
        }
    }

    public static final class Sealed {
    }

    @TempDir
    Path dir;
    private QuorumTransactionManager tm;
    private TransactionalProxies proxies;

    @BeforeEach
    void start() {
        tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(dir).build();
        proxies = new TransactionalProxies(tm);
    }

    @AfterEach
    void stop() {
        tm.close();
    }

    @Test
    void aConcreteClassIsConstructedWithItsArgumentsAndItsAnnotatedMethodsRunInTransactions() throws Exception {
        Ledger ledger = proxies.forClass(Ledger.class, tm);

        assertThat(ledger).isInstanceOf(Ledger.class);
        assertThat(ledger.post()).isNotNull();
        assertThat(ledger.outcomes.statuses()).containsExactly(Status.STATUS_COMMITTED);
        assertThat(tm.getTransaction()).isNull();
        assertThat(ledger.plain()).as("an unannotated method runs as it is").isEqualTo("no transaction");
        assertThatThrownBy(ledger::fail).isInstanceOf(IllegalStateException.class).hasMessage("rolled back");
        assertThat(tm.getTransaction()).isNull();
    }

    @Test
    void aCallToAnotherAnnotatedMethodOnThisIsInterceptedToo() throws Exception {
        Transaction[] both = proxies.forClass(Ledger.class, tm).postThenAudit();
        assertThat(both[0]).isNotNull();
        assertThat(both[1]).as("REQUIRES_NEW inside REQUIRED, called on this").isNotNull().isNotSameAs(both[0]);
    }

    @Test
    void classesThatCannotBeSubclassedOrConstructedAreRefusedByName() {
        assertThatThrownBy(() -> proxies.forClass(Sealed.class)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Sealed.class.getName()).hasMessageContaining("non-final");
        assertThatThrownBy(() -> proxies.forClass(Ledger.class, "not a manager"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no public or protected constructor");
    }
}
