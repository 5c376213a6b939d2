package io.quorumtx.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.xid.QuorumXid;
import jakarta.transaction.HeuristicMixedException;
import java.time.Duration;
import javax.transaction.xa.XAException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The health flips with what really happens to the manager, and its details are counts only. */
class QuorumTxHealthTest {

    private final InMemoryCommitLog log = new InMemoryCommitLog();
    private final QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1").commitLog(log)
            .recoveryInterval(Duration.ZERO).build();
    private final QuorumTxHealth health = new QuorumTxHealth(tm, Duration.ofMinutes(10));

    @AfterEach
    void close() {
        tm.close();
    }

    @Test
    void aHealthyManagerIsUpWithCountsOnly() {
        QuorumTxHealth.Report report = health.check();

        assertThat(report.status()).isEqualTo(QuorumTxHealth.Status.UP);
        assertThat(report.reasons()).isEmpty();
        assertThat(report.details()).containsOnlyKeys("node", "commitLogFailed", "heuristicOutcomesWaiting",
                "heuristicOutcomesAgainstDecision", "inDoubtBranches", "oldestInDoubtSeconds", "inDoubtAgeLimitSeconds",
                "pendingPhase2Retries", "activeTransactions");
        assertThat(report.details().values()).allSatisfy(v -> assertThat(String.valueOf(v)).doesNotContain("jdbc:", "password"));
    }

    @Test
    void aHeuristicOutcomeTurnsItDownUntilAnOperatorAcknowledgesIt() throws Exception {
        tm.begin();
        tm.getTransaction().enlistResource(new ScriptedXAResource("a"));
        tm.getTransaction().enlistResource(new ScriptedXAResource("b").fail(ScriptedXAResource.Op.COMMIT,
                XAException.XA_HEURRB, 1));
        assertThatThrownBy(tm::commit).isInstanceOf(HeuristicMixedException.class);

        QuorumTxHealth.Report down = health.check();
        assertThat(down.status()).isEqualTo(QuorumTxHealth.Status.DOWN);
        assertThat(down.details()).containsEntry("heuristicOutcomesAgainstDecision", 1L);
        assertThat(down.reasons()).singleElement().asString().contains("heuristic", "acknowledge");

        tm.acknowledgeHeuristicOutcomes(tm.heuristicOutcomesWaiting());

        assertThat(health.check().status()).isEqualTo(QuorumTxHealth.Status.UP);
    }

    @Test
    void aFailedCommitLogTurnsItDown() {
        log.failStop();

        QuorumTxHealth.Report report = health.check();

        assertThat(report.status()).isEqualTo(QuorumTxHealth.Status.DOWN);
        assertThat(report.details()).containsEntry("commitLogFailed", true);
    }

    @Test
    void anInDoubtBranchOlderThanTheLimitTakesItOutOfServiceAndAYoungerOneDoesNot() throws Exception {
        ScriptedXAResource db = new ScriptedXAResource("db");
        db.addPrepared(new QuorumXid(QuorumXid.formatGtrid("n2", "epoch", 1, System.currentTimeMillis() - 60_000), "db"));
        ScriptedRecoverableResource resource = new ScriptedRecoverableResource("db", db);
        tm.registerResource(resource);
        tm.recover();

        assertThat(health.check().status()).isEqualTo(QuorumTxHealth.Status.UP); // one minute old: within 10

        db.addPrepared(new QuorumXid(QuorumXid.formatGtrid("n2", "epoch", 2, System.currentTimeMillis() - 3_600_000), "db"));
        tm.recover();

        QuorumTxHealth.Report report = health.check();
        assertThat(report.status()).isEqualTo(QuorumTxHealth.Status.OUT_OF_SERVICE);
        assertThat(report.details()).containsEntry("inDoubtBranches", 2);
        assertThat((Long) report.details().get("oldestInDoubtSeconds")).isBetween(3_590L, 3_900L);
    }

    @Test
    void theAgeLimitMustBePositive() {
        assertThatThrownBy(() -> new QuorumTxHealth(tm, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("inDoubtAgeLimit must be positive");
    }
}
