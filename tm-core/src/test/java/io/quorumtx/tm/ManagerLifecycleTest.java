package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import jakarta.transaction.Status;
import jakarta.transaction.Transaction;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ManagerLifecycleTest {

    @Test
    void builderRequiresANodeId() {
        assertThatThrownBy(() -> QuorumTransactionManager.builder().commitLog(new InMemoryCommitLog()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nodeId is required")
                .hasMessageContaining("[A-Za-z0-9_-]");
    }

    @Test
    void builderRejectsAnInvalidNodeIdNamingTheAllowedCharacters() {
        for (String bad : new String[] {"", "has space", "dots.not.allowed", "x".repeat(25)}) {
            assertThatThrownBy(() -> QuorumTransactionManager.builder().nodeId(bad)
                    .commitLog(new InMemoryCommitLog()).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("nodeId '" + bad + "' is invalid")
                    .hasMessageContaining("1 to 24 characters of [A-Za-z0-9_-]");
        }
    }

    @Test
    void builderWantsExactlyOneOfLogDirectoryAndCommitLog() {
        assertThatThrownBy(() -> QuorumTransactionManager.builder().nodeId("n").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got none");
        assertThatThrownBy(() -> QuorumTransactionManager.builder().nodeId("n").commitLog(new InMemoryCommitLog())
                .logDirectory(Path.of("x")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 2 of them");
    }

    @Test
    void builderRejectsNonPositiveDurationsNamingTheSetting() {
        assertThatThrownBy(() -> QuorumTransactionManager.builder().nodeId("n").commitLog(new InMemoryCommitLog())
                .defaultTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("defaultTimeout must be a positive duration").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> QuorumTransactionManager.builder().nodeId("n").commitLog(new InMemoryCommitLog())
                .reaperInterval(Duration.ofSeconds(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reaperInterval");
        assertThatThrownBy(() -> QuorumTransactionManager.builder().nodeId("n").commitLog(new InMemoryCommitLog())
                .phase2Retry(Duration.ofSeconds(2), Duration.ofSeconds(1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("phase2Retry max delay");
    }

    @Test
    void closeClosesTheLogStopsItsThreadsAndIsIdempotent() throws Exception {
        InMemoryCommitLog log = new InMemoryCommitLog();
        QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("closing").commitLog(log).build();
        assertThat(threadsNamed("quorumtx-closing-")).isPositive();
        tm.close();
        tm.close();
        assertThat(log.isClosed()).isTrue();
        assertThatThrownBy(tm::begin).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        Poll.until("manager threads gone", Duration.ofSeconds(10),
                () -> threadsNamed("quorumtx-closing-") == 0);
    }

    @Test
    void managerThreadsAreDaemonsNamedAfterTheNode() {
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("daemons")
                .commitLog(new InMemoryCommitLog()).build()) {
            assertThat(Thread.getAllStackTraces().keySet())
                    .filteredOn(t -> t.getName().startsWith("quorumtx-" + tm.nodeId() + "-"))
                    .isNotEmpty().allMatch(Thread::isDaemon);
        }
    }

    @Test
    void registeringTwoResourcesUnderOneNameFailsClearly() {
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n")
                .commitLog(new InMemoryCommitLog()).build()) {
            tm.registerResource(new ScriptedRecoverableResource("orders", new ScriptedXAResource("orders")));
            assertThatThrownBy(() -> tm.registerResource(
                    new ScriptedRecoverableResource("orders", new ScriptedXAResource("orders"))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("'orders' is already registered");
            assertThat(tm.unregisterResource("orders")).isTrue();
            tm.registerResource(new ScriptedRecoverableResource("orders", new ScriptedXAResource("orders")));
            assertThat(tm.registeredResource("orders")).isNotNull();
        }
    }

    @Test
    void twoManagersInOneJvmWorkIndependently() throws Exception {
        InMemoryCommitLog log1 = new InMemoryCommitLog();
        InMemoryCommitLog log2 = new InMemoryCommitLog();
        QuorumTransactionManager tm1 = QuorumTransactionManager.builder().nodeId("same").commitLog(log1).build();
        try (QuorumTransactionManager tm2 = QuorumTransactionManager.builder().nodeId("same").commitLog(log2)
                        .build()) {
            ScriptedXAResource a1 = new ScriptedXAResource("a");
            ScriptedXAResource b1 = new ScriptedXAResource("b");
            ScriptedXAResource a2 = new ScriptedXAResource("a");
            ScriptedXAResource b2 = new ScriptedXAResource("b");
            tm1.begin();
            tm2.begin(); // the same thread, associated with one transaction per manager
            Transaction t1 = tm1.getTransaction();
            Transaction t2 = tm2.getTransaction();
            assertThat(t1).isNotSameAs(t2);
            t1.enlistResource(a1);
            t1.enlistResource(b1);
            t2.enlistResource(a2);
            t2.enlistResource(b2);
            tm2.setRollbackOnly();
            tm1.commit();
            assertThat(tm2.getStatus()).isEqualTo(Status.STATUS_MARKED_ROLLBACK);
            tm2.rollback();
            assertThat(log1.commits()).hasSize(1);
            assertThat(log2.commits()).isEmpty();
            assertThat(a1.committed()).hasSize(1);
            assertThat(a2.rolledBack()).hasSize(1);
            // Same node id, yet the gtrids differ: the boot epoch keeps them apart.
            assertThat(a1.firstXid()).isNotEqualTo(a2.firstXid());
            tm1.close();
            assertThat(log1.isClosed()).isTrue();
            assertThat(log2.isClosed()).isFalse();
            tm2.begin(); // closing one manager leaves the other working
            tm2.getTransaction().enlistResource(b2);
            tm2.commit();
            assertThat(b2.committed()).hasSize(1);
        } finally {
            tm1.close();
        }
    }

    private static long threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).count();
    }
}
