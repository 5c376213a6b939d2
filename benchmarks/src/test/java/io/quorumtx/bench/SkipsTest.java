package io.quorumtx.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SkipsTest {

    @Test
    void aRunWithNothingSkippedSaysSo() {
        assertThat(new Skips().summary()).containsExactly(
                "Skipped or failed: nothing; every requested workload, system and thread count ran.");
    }

    @Test
    void theSummaryListsEverySkipAndFailureWithItsReason() {
        Skips skips = new Skips();
        skips.skipped("transfers", "postgres", "all systems and thread counts", "max_prepared_transactions = 0");
        skips.skipped("transfers", "mariadb", "threads 64 (all systems)", "too few connections");
        skips.failed("transfers", "h2-file", "atomikos", "could not start, so no rows: boom");

        assertThat(skips.summary()).hasSize(4);
        assertThat(skips.summary().get(0)).startsWith("Skipped or failed (3)");
        assertThat(skips.summary().subList(1, 4)).satisfiesExactly(
                l -> assertThat(l).contains("SKIPPED", "postgres", "all systems and thread counts",
                        "max_prepared_transactions = 0"),
                l -> assertThat(l).contains("SKIPPED", "mariadb", "threads 64", "too few connections"),
                l -> assertThat(l).contains("FAILED", "h2-file", "atomikos", "boom"));
    }

    @Test
    void theCsvHasOneRowPerEntryWithReasonsQuotedWhenTheyHoldCommas(@TempDir Path dir) throws Exception {
        Skips skips = new Skips();
        skips.skipped("locks", "postgres", "all lock systems", "cannot connect (refused), \"start it\"\nthen rerun");
        Path csv = dir.resolve("skipped.csv");

        skips.writeCsv(csv);

        assertThat(Files.readAllLines(csv)).containsExactly(Skips.CSV_HEADER,
                "SKIPPED,locks,postgres,all lock systems,\"cannot connect (refused), \"\"start it\"\" then rerun\"");
    }
}
