package io.quorumtx.tm.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static io.quorumtx.tm.log.LogFixtures.commit;
import static io.quorumtx.tm.log.LogFixtures.gtrids;
import static io.quorumtx.tm.log.LogFixtures.segments;
import static org.assertj.core.api.Assertions.assertThat;

/** Roll-over and deletion of finished segments, and the commits that must outlive them. */
class LocalCommitLogSegmentTest {
    private static final LocalCommitLog.Options SMALL =
            LocalCommitLog.Options.builder().segmentBytes(1024).build();

    @TempDir
    Path dir;

    @Test
    void finishedSegmentsAreDeletedWhileAnUnfinishedCommitSurvivesAndReopens() throws IOException {
        try (LocalCommitLog log = LocalCommitLog.open(dir, SMALL)) {
            log.logCommit(commit("stuck"));
            for (int i = 0; i < 50; i++) {
                log.logCommit(commit("b-" + i));
            }
            // All ENDs after all COMMITs: most ENDs land in a later segment than their COMMIT.
            for (int i = 0; i < 50; i++) {
                log.logEnd("b-" + i);
            }
            for (int i = 0; i < 300; i++) {
                log.logCommit(commit("c-" + i));
                log.logEnd("c-" + i);
            }
            LogStats stats = log.stats();
            assertThat(stats.segmentsDeleted()).isGreaterThan(10);
            assertThat(stats.segments()).isLessThanOrEqualTo(4);
            assertThat(stats.commitsCarried()).isPositive();
            assertThat(segments(dir)).hasSize(stats.segments());
            assertThat(log.decision("stuck")).isEqualTo(Decision.COMMIT);
        }
        try (LocalCommitLog log = LocalCommitLog.open(dir, SMALL)) {
            assertThat(log.unfinished()).containsExactly(commit("stuck"));
            assertThat(log.decision("b-7")).isEqualTo(Decision.UNKNOWN);
            log.logEnd("stuck");
            for (int i = 0; i < 40; i++) {
                log.logCommit(commit("d-" + i));
                log.logEnd("d-" + i);
            }
        }
        try (LocalCommitLog log = LocalCommitLog.open(dir, SMALL)) {
            assertThat(log.unfinished()).isEmpty();
            assertThat(segments(dir)).hasSizeLessThanOrEqualTo(2);
        }
    }

    @Test
    void commitCarriedPastAYoungerOneIsStillListedOldestFirst() throws IOException {
        CommitRecord stuck = commit("stuck");
        CommitRecord late = new CommitRecord("late", stuck.branches(), stuck.decidedAtMillis() + 1);
        try (LocalCommitLog log = LocalCommitLog.open(dir, SMALL)) {
            log.logCommit(stuck);
            trafficUntilSegment(log, 2);
            log.logCommit(late);
            trafficUntilSegment(log, 3); // carries "stuck" into segment 3, behind "late" in segment 2
            assertThat(log.stats().commitsCarried()).isEqualTo(1);
        }
        try (LocalCommitLog log = LocalCommitLog.open(dir, SMALL)) {
            assertThat(log.unfinished()).containsExactly(stuck, late);
        }
    }

    private void trafficUntilSegment(LocalCommitLog log, long segmentId) throws IOException {
        String name = String.format("commit-%020d.log", segmentId);
        for (int i = 0; segments(dir).stream().noneMatch(p -> p.getFileName().toString().equals(name)); i++) {
            log.logCommit(commit("filler-" + segmentId + "-" + i));
            log.logEnd("filler-" + segmentId + "-" + i);
        }
        // The file appears when the writer starts the segment, before it has carried commits into
        // it. One more acknowledged commit is written only after that roll-over has finished.
        log.logCommit(commit("after-roll-" + segmentId));
        log.logEnd("after-roll-" + segmentId);
    }

    @Test
    void segmentHoldingAnEndIsKeptWhileItsCommitsSegmentIsKept() throws IOException {
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            log.logCommit(commit("stuck"));
            log.logCommit(commit("x"));
        }
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            log.logEnd("x"); // lands in the second segment, x's COMMIT stays in the first
        }
        LocalCommitLog.open(dir).close(); // a reopen must not delete the END while the COMMIT is on disk
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(gtrids(log.unfinished())).containsExactly("stuck");
            assertThat(segments(dir)).hasSize(3); // the COMMITs, the END, the new active segment
        }
    }

    @Test
    void emptyAndFinishedSegmentsFromEarlierRunsAreDeletedOnOpen() throws IOException {
        for (int run = 0; run < 3; run++) {
            try (LocalCommitLog log = LocalCommitLog.open(dir)) {
                log.logCommit(commit("run-" + run));
                log.logEnd("run-" + run);
            }
        }
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(segments(dir)).hasSize(1);
            assertThat(log.openReport().segmentsRead()).isEqualTo(1);
        }
    }

    @Test
    void optionsAreValidatedWithTheSettingAndItsRange() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LocalCommitLog.Options.builder().segmentBytes(10).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("segmentBytes must be between 1024 and 1073741824 (1 KiB to 1 GiB), was 10");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LocalCommitLog.Options.builder().queueCapacity(0).build())
                .hasMessageContaining("queueCapacity must be between 1 and");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> LocalCommitLog.Options.builder().endFlushInterval(java.time.Duration.ZERO).build())
                .hasMessageContaining("endFlushInterval must be between 1 ms and 1 h");
        assertThat(LocalCommitLog.Options.defaults().segmentBytes()).isEqualTo(64L * 1024 * 1024);
    }
}
