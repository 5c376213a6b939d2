package io.quorumtx.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DatabaseNamesTest {

    @Test
    void blankMeansTheTestsDatabases() {
        assertThat(DatabaseNames.parse(null)).isEqualTo(new DatabaseNames("quorumtx_a", "quorumtx_b"));
        assertThat(DatabaseNames.parse(" ")).isEqualTo(DatabaseNames.DEFAULT);
    }

    @Test
    void twoPlainNamesAreDatabasesAAndB() {
        DatabaseNames names = DatabaseNames.parse("bench_fresh_a, bench_fresh_b");

        assertThat(names.of("a")).isEqualTo("bench_fresh_a");
        assertThat(names.of("b")).isEqualTo("bench_fresh_b");
        assertThat(names.both()).containsExactly("bench_fresh_a", "bench_fresh_b");
    }

    @Test
    void aNameThatWouldNeedQuotingIsRefusedBeforeItReachesCreateDatabase() {
        assertThatThrownBy(() -> DatabaseNames.parse("x;DROP DATABASE postgres,b"))
                .hasMessageContaining("bench.databases: 'x;DROP DATABASE postgres' is not a plain database name");
        assertThatThrownBy(() -> DatabaseNames.parse("Upper,b")).hasMessageContaining("'Upper'");
        assertThatThrownBy(() -> DatabaseNames.parse("1st,b")).hasMessageContaining("'1st'");
        assertThatThrownBy(() -> DatabaseNames.parse("a".repeat(64) + ",b")).hasMessageContaining("at most 63");
    }

    @Test
    void exactlyTwoDifferentNamesAreNeeded() {
        assertThatThrownBy(() -> DatabaseNames.parse("only_one")).hasMessageContaining("expected two names");
        assertThatThrownBy(() -> DatabaseNames.parse("a,b,c")).hasMessageContaining("expected two names");
        assertThatThrownBy(() -> DatabaseNames.parse("same,same")).hasMessageContaining("must differ");
    }
}
