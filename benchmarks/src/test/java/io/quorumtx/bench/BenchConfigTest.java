package io.quorumtx.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class BenchConfigTest {

    @Test
    void defaultIsEverySystemTheRegistryMarksForTheDefaultRunInItsOrder() {
        assertThat(BenchConfig.systems(List.of("default"))).containsExactly("quorumtx-xa", "quorumtx-dialect",
                "quorumtx-dblog", "quorumtx-dblog-dialect", "quorumtx-paxos3", "quorumtx-3pc", "quorumtx-3pc-paxos3", "narayana", "atomikos", "raw-xa");
    }

    @Test
    void aDiagnosticSystemRunsOnlyWhenNamedAndEachSystemOnce() {
        assertThat(BenchConfig.systems(List.of("default"))).doesNotContain("quorumtx-tm");
        assertThat(BenchConfig.systems(List.of("raw-xa", "default", "quorumtx-tm")))
                .startsWith("raw-xa", "quorumtx-xa").endsWith("atomikos", "quorumtx-tm").doesNotHaveDuplicates();
    }

    @Test
    void anUnknownSystemIsRefusedWithTheNamesAllowed() {
        assertThatThrownBy(() -> BenchConfig.systems(List.of("quorumtx-xaa")))
                .hasMessageContaining("unknown system 'quorumtx-xaa'")
                .hasMessageContaining("allowed: default,quorumtx-xa,");
    }
}
