package io.quorumtx.micrometer;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedRecoverableResource;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.xid.QuorumXid;
import jakarta.transaction.RollbackException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import io.micrometer.observation.ObservationHandler;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Commits and recovery passes become observations with the expected names, parents and key values. */
class QuorumTxObservationsTest {

    private static final String COMMIT = DefaultCommitObservationConvention.NAME;
    private static final String PHASE = DefaultCommitPhaseObservationConvention.NAME;

    private final TestObservationRegistry registry = TestObservationRegistry.create();
    /** Every observation started, in order (TestObservationRegistry keeps its own list package-private). */
    private final List<Observation.Context> started = new CopyOnWriteArrayList<>();

    {
        registry.observationConfig().observationHandler(new ObservationHandler<>() {
            @Override
            public void onStart(Observation.Context context) {
                started.add(context);
            }

            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }
        });
    }
    private final QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1")
            .commitLog(new InMemoryCommitLog()).recoveryInterval(Duration.ZERO).build();

    @AfterEach
    void close() {
        tm.close();
    }

    /** Commits across {@code resources}; returns the gtrid. */
    private String commitAcross(ScriptedXAResource... resources) throws Exception {
        tm.begin();
        for (ScriptedXAResource r : resources) {
            tm.getTransaction().enlistResource(r);
        }
        tm.commit();
        return QuorumXid.parse(resources[0].firstXid()).orElseThrow().gtrid();
    }

    private List<Observation.Context> contexts(String name) {
        return started.stream().filter(c -> name.equals(c.getName())).toList();
    }

    @Test
    void aTwoPhaseCommitIsOneObservationWithPrepareDecisionAndPhase2Children() throws Exception {
        QuorumTxObservations.builder(tm, registry).register();
        String gtrid = commitAcross(new ScriptedXAResource("a"), new ScriptedXAResource("b"));

        assertThat(registry).hasNumberOfObservationsWithNameEqualTo(COMMIT, 1)
                .hasNumberOfObservationsWithNameEqualTo(PHASE, 3);
        assertThat(registry).hasObservationWithNameEqualTo(COMMIT).that()
                .hasContextualNameEqualTo("commit")
                .hasHighCardinalityKeyValue("quorumtx.gtrid", gtrid)
                .hasHighCardinalityKeyValue("quorumtx.branches", "2")
                .hasLowCardinalityKeyValue("quorumtx.outcome", "committed")
                .hasLowCardinalityKeyValue("quorumtx.node", "n1")
                .doesNotHaveParentObservation()
                .hasBeenStarted().hasBeenStopped();
        Observation.Context commit = contexts(COMMIT).get(0);
        assertThat(contexts(PHASE)).extracting(Observation.Context::getContextualName)
                .containsExactly("prepare", "decision", "phase2");
        assertThat(contexts(PHASE)).allSatisfy(phase -> {
            assertThat(phase.getParentObservation()).isNotNull();
            assertThat(phase.getParentObservation().getContextView()).isSameAs(commit);
            assertThat(phase.getHighCardinalityKeyValue("quorumtx.gtrid").getValue()).isEqualTo(gtrid);
        });
        assertThat(contexts(PHASE)).extracting(c -> c.getLowCardinalityKeyValue("quorumtx.phase").getValue())
                .containsExactly("prepare", "log", "phase2");
    }

    @Test
    @SuppressWarnings("try") // the scope is used by being open: Micrometer's own idiom
    void aCommitIsAChildOfTheObservationInScopeOnTheCommittingThread() throws Exception {
        QuorumTxObservations.builder(tm, registry).register();
        Observation request = Observation.start("http.server.request", registry);
        try (Observation.Scope scope = request.openScope()) {
            commitAcross(new ScriptedXAResource("a"));
        } finally {
            request.stop();
        }

        assertThat(registry).hasObservationWithNameEqualTo(COMMIT).that().hasParentObservationEqualTo(request);
        // A one-phase commit has a phase-2 child only.
        assertThat(contexts(PHASE)).extracting(Observation.Context::getContextualName).containsExactly("phase2");
    }

    @Test
    void aNoVoteEndsTheCommitObservationAsRolledBackAfterItsPrepare() {
        QuorumTxObservations.builder(tm, registry).register();

        assertThatThrownBy(() -> commitAcross(new ScriptedXAResource("a"), new ScriptedXAResource("b").voteNo()))
                .isInstanceOf(RollbackException.class);

        assertThat(registry).hasObservationWithNameEqualTo(COMMIT).that()
                .hasLowCardinalityKeyValue("quorumtx.outcome", "rolled_back").hasBeenStopped();
        assertThat(contexts(PHASE)).extracting(Observation.Context::getContextualName).containsExactly("prepare");
    }

    @Test
    void aRecoveryPassIsAnObservationWithWhatItDid() throws Exception {
        QuorumTxObservations.builder(tm, registry).register();
        ScriptedXAResource db = new ScriptedXAResource("db");
        db.addPrepared(new QuorumXid(QuorumXid.formatGtrid("n1", "oldepoch", 1, System.currentTimeMillis() - 60_000), "db"));
        tm.registerResource(new ScriptedRecoverableResource("db", db));

        tm.recover();

        assertThat(registry).forAllObservationsWithNameEqualTo(DefaultRecoveryPassObservationConvention.NAME,
                o -> o.hasContextualNameEqualTo("recovery pass").hasLowCardinalityKeyValue("quorumtx.result", "completed"));
        assertThat(registry).hasAnObservationWithAKeyValue("quorumtx.recovery.rolled_back", "1");
        assertThat(db.rolledBack()).hasSize(1);
    }

    @Test
    void aUserConventionReplacesTheNamesAndKeyValues() throws Exception {
        AtomicReference<String> seen = new AtomicReference<>();
        CommitObservationConvention mine = new DefaultCommitObservationConvention() {
            @Override
            public String getName() {
                return "payments.commit";
            }

            @Override
            public KeyValues getLowCardinalityKeyValues(CommitObservationContext context) {
                seen.set(context.gtrid());
                return KeyValues.of("team", "payments");
            }
        };
        QuorumTxObservations.builder(tm, registry).commitConvention(mine).register();

        String gtrid = commitAcross(new ScriptedXAResource("a"), new ScriptedXAResource("b"));

        assertThat(registry).hasObservationWithNameEqualTo("payments.commit").that()
                .hasLowCardinalityKeyValue("team", "payments").hasHighCardinalityKeyValue("quorumtx.gtrid", gtrid);
        assertThat(seen).hasValue(gtrid);
        assertThat(contexts(PHASE)).hasSize(3);
    }

    @Test
    void afterCloseNothingIsObserved() throws Exception {
        QuorumTxObservations.builder(tm, registry).register().close();
        commitAcross(new ScriptedXAResource("a"), new ScriptedXAResource("b"));
        assertThat(registry).doesNotHaveAnyObservation();
    }
}
