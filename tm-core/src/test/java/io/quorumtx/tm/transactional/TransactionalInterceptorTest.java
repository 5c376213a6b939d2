package io.quorumtx.tm.transactional;

import static jakarta.transaction.Transactional.TxType.MANDATORY;
import static jakarta.transaction.Transactional.TxType.NEVER;
import static jakarta.transaction.Transactional.TxType.NOT_SUPPORTED;
import static jakarta.transaction.Transactional.TxType.REQUIRED;
import static jakarta.transaction.Transactional.TxType.REQUIRES_NEW;
import static jakarta.transaction.Transactional.TxType.SUPPORTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.CommitProtocolType;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.QuorumTransactional;
import jakarta.transaction.InvalidTransactionException;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionRequiredException;
import jakarta.transaction.Transactional;
import jakarta.transaction.TransactionalException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules of {@code @Transactional} as the specification gives them, through an interface
 * proxy: each TxType with and without a caller's transaction, nesting, the rollback rules with
 * subclasses and their precedence, the class's annotation against the method's, and
 * {@code @QuorumTransactional}'s protocol and timeout only where a transaction begins.
 */
class TransactionalInterceptorTest {

    @FunctionalInterface
    interface Step {
        Object run() throws Exception;
    }

    interface Service {
        Object required(Step s) throws Exception;

        Object requiresNew(Step s) throws Exception;

        Object mandatory(Step s) throws Exception;

        Object supports(Step s) throws Exception;

        Object notSupported(Step s) throws Exception;

        Object never(Step s) throws Exception;

        Object rules(Step s) throws Exception;

        Object classDefault(Step s) throws Exception;

        Object threePhaseWithTimeout(Step s) throws Exception;
    }

    /** Annotated on the class (NEVER, the default of its methods) and on methods (which win). */
    @Transactional(NEVER)
    static class Bean implements Service {
        @Override
        @Transactional(REQUIRED)
        public Object required(Step s) throws Exception {
            return s.run();
        }

        @Override
        @Transactional(REQUIRES_NEW)
        public Object requiresNew(Step s) throws Exception {
            return s.run();
        }

        @Override
        @Transactional(MANDATORY)
        public Object mandatory(Step s) throws Exception {
            return s.run();
        }

        @Override
        @Transactional(SUPPORTS)
        public Object supports(Step s) throws Exception {
            return s.run();
        }

        @Override
        @Transactional(NOT_SUPPORTED)
        public Object notSupported(Step s) throws Exception {
            return s.run();
        }

        @Override
        @Transactional(NEVER)
        public Object never(Step s) throws Exception {
            return s.run();
        }

        @Override
        @Transactional(value = REQUIRED, rollbackOn = IOException.class,
                dontRollbackOn = {IllegalStateException.class, FileNotFoundException.class})
        public Object rules(Step s) throws Exception {
            return s.run();
        }

        @Override
        public Object classDefault(Step s) throws Exception {
            return s.run();
        }

        @Override
        @Transactional(REQUIRED)
        @QuorumTransactional(protocol = CommitProtocolType.THREE_PHASE, timeoutSeconds = 1)
        public Object threePhaseWithTimeout(Step s) throws Exception {
            return s.run();
        }
    }

    @TempDir
    Path dir;
    private QuorumTransactionManager tm;
    private Service service;
    private final Outcomes outcomes = new Outcomes();

    @BeforeEach
    void start() {
        tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(dir).reaperInterval(Duration.ofMillis(50))
                .build();
        service = new TransactionalProxies(tm).forInterface(Service.class, new Bean());
    }

    @AfterEach
    void stop() {
        tm.close();
    }

    /** The current transaction, with its outcome recorded into {@link #outcomes} when it completes. */
    private Transaction current() throws Exception {
        return outcomes.watch(tm.getTransaction());
    }

    @Test
    void requiredBeginsAndCommitsWithoutACallersTransactionAndJoinsOne() throws Exception {
        Object inside = service.required(this::current);
        assertThat(inside).isNotNull();
        assertThat(outcomes.statuses()).containsExactly(Status.STATUS_COMMITTED);
        assertThat(tm.getTransaction()).isNull();

        tm.begin();
        Transaction caller = tm.getTransaction();
        assertThat(service.required(tm::getTransaction)).isSameAs(caller);
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_ACTIVE);
        tm.rollback();
    }

    @Test
    void requiresNewSuspendsTheCallersTransactionAndResumesItWhateverHappens() throws Exception {
        tm.begin();
        Transaction caller = tm.getTransaction();
        Object inner = service.requiresNew(this::current);
        assertThat(inner).isNotNull().isNotSameAs(caller);
        assertThat(outcomes.statuses()).as("the inner transaction committed on its own").containsExactly(Status.STATUS_COMMITTED);
        assertThat(tm.getTransaction()).isSameAs(caller);

        assertThatThrownBy(() -> service.requiresNew(() -> {
            current();
            throw new IllegalArgumentException("boom");
        })).isInstanceOf(IllegalArgumentException.class).hasMessage("boom");
        assertThat(outcomes.statuses()).endsWith(Status.STATUS_ROLLEDBACK);
        assertThat(tm.getTransaction()).as("resumed after the failure too").isSameAs(caller);
        assertThat(tm.getStatus()).as("the caller's transaction is not touched by the inner one").isEqualTo(Status.STATUS_ACTIVE);
        tm.rollback();
    }

    @Test
    void requiredInsideRequiresNewJoinsTheNewTransaction() throws Exception {
        tm.begin();
        Transaction caller = tm.getTransaction();
        Object[] seen = new Object[2];
        service.requiresNew(() -> {
            seen[0] = tm.getTransaction();
            seen[1] = service.required(tm::getTransaction);
            return null;
        });
        assertThat(seen[0]).isNotSameAs(caller).isSameAs(seen[1]);
        tm.rollback();
    }

    @Test
    void mandatoryAndNeverRefuseWithTheSpecificationsCausesWithoutRunningTheMethod() throws Exception {
        boolean[] ran = new boolean[1];
        assertThatThrownBy(() -> service.mandatory(() -> ran[0] = true)).isInstanceOf(TransactionalException.class)
                .hasCauseInstanceOf(TransactionRequiredException.class);
        tm.begin();
        assertThat(service.mandatory(tm::getTransaction)).isSameAs(tm.getTransaction());
        assertThatThrownBy(() -> service.never(() -> ran[0] = true)).isInstanceOf(TransactionalException.class)
                .hasCauseInstanceOf(InvalidTransactionException.class);
        tm.rollback();
        assertThat(ran[0]).isFalse();
        assertThat(service.never(tm::getTransaction)).isNull();
    }

    @Test
    void supportsRunsInWhateverItFindsAndNotSupportedSuspends() throws Exception {
        assertThat(service.supports(tm::getTransaction)).isNull();
        tm.begin();
        Transaction caller = tm.getTransaction();
        assertThat(service.supports(tm::getTransaction)).isSameAs(caller);
        assertThat(service.notSupported(tm::getTransaction)).isNull();
        assertThat(tm.getTransaction()).isSameAs(caller);
        tm.rollback();
    }

    @Test
    void uncheckedExceptionsRollBackCheckedOnesCommitAndTheAnnotationsRulesApplyToSubclasses() throws Exception {
        assertThatThrownBy(() -> service.required(() -> {
            current();
            throw new IllegalArgumentException("unchecked");
        })).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> service.required(() -> {
            current();
            throw new Exception("checked");
        })).hasMessage("checked");
        assertThatThrownBy(() -> service.required(() -> {
            current();
            throw new AssertionError("an Error");
        })).isInstanceOf(AssertionError.class);
        assertThat(outcomes.statuses()).containsExactly(Status.STATUS_ROLLEDBACK, Status.STATUS_COMMITTED, Status.STATUS_ROLLEDBACK);
        outcomes.clear();

        assertThatThrownBy(() -> service.rules(() -> {
            current();
            throw new java.nio.file.NoSuchFileException("rollbackOn IOException: a subclass");
        })).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> service.rules(() -> {
            current();
            throw new IllegalStateException("dontRollbackOn, though unchecked");
        })).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> service.rules(() -> {
            current();
            throw new FileNotFoundException("in both: dontRollbackOn wins");
        })).isInstanceOf(FileNotFoundException.class);
        assertThat(outcomes.statuses()).containsExactly(Status.STATUS_ROLLEDBACK, Status.STATUS_COMMITTED, Status.STATUS_COMMITTED);
    }

    @Test
    void anExceptionInsideTheCallersTransactionMarksItRollbackOnlyWhenTheRulesSaySo() throws Exception {
        tm.begin();
        assertThatThrownBy(() -> service.required(() -> {
            throw new Exception("checked: no rollback");
        })).hasMessage("checked: no rollback");
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_ACTIVE);
        assertThatThrownBy(() -> service.supports(() -> {
            throw new IllegalArgumentException("unchecked");
        })).isInstanceOf(IllegalArgumentException.class);
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_MARKED_ROLLBACK);
        tm.rollback();
    }

    @Test
    void aMethodsAnnotationWinsOverItsClasss() throws Exception {
        tm.begin();
        assertThatThrownBy(() -> service.classDefault(tm::getTransaction))
                .as("the class says NEVER").isInstanceOf(TransactionalException.class);
        assertThat(service.required(tm::getTransaction)).as("the method says REQUIRED").isSameAs(tm.getTransaction());
        tm.rollback();
    }

    @Test
    void quorumTransactionalSetsProtocolAndTimeoutOnlyWhereTheTransactionBegins() throws Exception {
        assertThat(service.threePhaseWithTimeout(tm::commitProtocol)).isEqualTo(CommitProtocolType.THREE_PHASE);

        tm.begin();
        assertThat(service.threePhaseWithTimeout(tm::commitProtocol)).as("joined: the caller's protocol")
                .isEqualTo(CommitProtocolType.TWO_PHASE);
        tm.rollback();

        assertThatThrownBy(() -> service.threePhaseWithTimeout(() -> {
            Poll.until("the reaper acts on the 1 s timeout", Duration.ofSeconds(10),
                    () -> tm.getStatus() != Status.STATUS_ACTIVE);
            return tm.getStatus();
        })).isInstanceOf(TransactionalException.class).hasCauseInstanceOf(RollbackException.class);
        tm.begin(); // the thread's own timeout setting was left alone
        assertThat(tm.getStatus()).isEqualTo(Status.STATUS_ACTIVE);
        tm.rollback();
    }
}
