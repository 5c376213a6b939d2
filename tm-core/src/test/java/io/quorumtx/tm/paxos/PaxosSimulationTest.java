package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The seeded simulation of {@link PaxosSimulation}: 10,000 runs in the normal suite (set
 * {@code -Dquorumtx.paxos.runs=N} for more), one seed with a full trace via
 * {@code -Dquorumtx.paxos.seed=S}. A failure names its seed.
 */
class PaxosSimulationTest {

    private static final int DEFAULT_RUNS = 10_000;

    @Test
    void everySeedChoosesOneValuePerTransactionAndEndsEveryBranchConsistently() {
        String only = System.getProperty("quorumtx.paxos.seed");
        if (only != null) {
            new PaxosSimulation(Long.parseLong(only), PaxosSimulation.Fault.NONE, true).run();
            return;
        }
        int runs = Integer.getInteger("quorumtx.paxos.runs", DEFAULT_RUNS);
        PaxosSimulation.Summary total = PaxosSimulation.Summary.none();
        for (long seed = 1; seed <= runs; seed++) {
            total = total.plus(new PaxosSimulation(seed, PaxosSimulation.Fault.NONE, false).run());
        }
        System.out.println("Paxos simulation, " + runs + " seeds: " + total);
        // The runs must really exercise both outcomes and every fault, or they prove little.
        assertThat(total.commits()).isPositive();
        assertThat(total.aborts()).isPositive();
        assertThat(total.tornWrites()).isPositive();
        assertThat(total.crashes()).isGreaterThan(total.tornWrites());
        assertThat(total.takeovers()).isPositive();
        assertThat(total.drops()).isPositive();
        assertThat(total.duplicates()).isPositive();
    }

    /**
     * The checker is not blind: an acceptor that loses its promises when it restarts (a write it
     * answered before forcing) lets two values be chosen, and some seed shows it.
     */
    @Test
    void theSimulationCatchesAnAcceptorThatForgetsItsPromises() {
        long violating = -1; // the first such seed is found within a few hundred runs
        for (long seed = 1; seed <= DEFAULT_RUNS && violating < 0; seed++) {
            try {
                new PaxosSimulation(seed, PaxosSimulation.Fault.PROMISES_NOT_DURABLE, false).run();
            } catch (AssertionError expected) {
                assertThat(expected).hasMessageContaining("seed " + seed);
                violating = seed;
            }
        }
        assertThat(violating).as("a seed that exposes the broken acceptor").isPositive();
        long seed = violating;
        assertThatThrownBy(() -> new PaxosSimulation(seed, PaxosSimulation.Fault.PROMISES_NOT_DURABLE, true).run())
                .as("the same seed fails the same way when replayed").isInstanceOf(AssertionError.class);
    }
}
