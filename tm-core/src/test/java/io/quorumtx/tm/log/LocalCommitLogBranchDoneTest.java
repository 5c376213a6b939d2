package io.quorumtx.tm.log;

import static io.quorumtx.tm.log.LogFixtures.commit;
import static io.quorumtx.tm.log.LogFixtures.segments;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BRANCH_DONE records and the forced END of the recovery path, through reopen and segment roll-over. */
class LocalCommitLogBranchDoneTest {
    private static final LocalCommitLog.Options SMALL = LocalCommitLog.Options.builder().segmentBytes(1024).build();
    private static final BranchRecord A = new BranchRecord("db-a", "stuck-a");
    private static final BranchRecord B = new BranchRecord("db-b", "stuck-b");

    @TempDir
    Path dir;

    @Test
    void aFinishedBranchSurvivesReopenAndIsShownByLogInspection() {
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            log.logCommit(commit("stuck"));
            log.logBranchDone("stuck", A);
            assertThat(log.isBranchDone("stuck", A)).isTrue();
            assertThat(log.isBranchDone("stuck", B)).isFalse();
        }
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(log.isBranchDone("stuck", A)).isTrue();
            assertThat(log.isBranchDone("stuck", B)).isFalse();
            assertThat(log.unfinished()).containsExactly(commit("stuck"));
        }
        LogInspection inspection = LogInspection.read(dir);
        assertThat(inspection.frames()).filteredOn(f -> f.type() == LogInspection.FrameType.BRANCH_DONE)
                .singleElement().satisfies(f -> {
                    assertThat(f.gtrid()).isEqualTo("stuck");
                    assertThat(f.branches()).containsExactly(A);
                });
        assertThat(inspection.finishedBranches("stuck")).containsExactly(A);
    }

    @Test
    void aBranchDoneOfACommitWithoutCommitIsNotWrittenAndAnEndForgetsIt() {
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            log.logBranchDone("never-committed", A); // returns: nothing to guard
            assertThat(log.isBranchDone("never-committed", A)).isFalse();
            log.logCommit(commit("stuck"));
            log.logBranchDone("stuck", A);
            log.logEndForced("stuck");
            assertThat(log.isBranchDone("stuck", A)).as("forgotten with its commit").isFalse();
        }
        assertThat(LogInspection.read(dir).frames()).extracting(LogInspection.Frame::type).containsExactly(
                LogInspection.FrameType.COMMIT, LogInspection.FrameType.BRANCH_DONE, LogInspection.FrameType.END);
    }

    @Test
    void finishedBranchesAreCarriedForwardWithTheirCommitWhenOldSegmentsAreDeleted() throws IOException {
        try (LocalCommitLog log = LocalCommitLog.open(dir, SMALL)) {
            log.logCommit(commit("stuck"));
            log.logBranchDone("stuck", A);
            for (int i = 0; i < 300; i++) {
                log.logCommit(commit("c-" + i));
                log.logEnd("c-" + i);
            }
            LogStats stats = log.stats();
            assertThat(stats.commitsCarried()).isPositive();
            assertThat(stats.segmentsDeleted()).isGreaterThan(10);
            assertThat(log.isBranchDone("stuck", A)).isTrue();
        }
        // The segments holding the original COMMIT and BRANCH_DONE are gone: only the carried copies remain.
        assertThat(segments(dir)).noneMatch(p -> p.getFileName().toString().equals("commit-00000000000000000001.log"));
        try (LocalCommitLog log = LocalCommitLog.open(dir, SMALL)) {
            assertThat(log.unfinished()).containsExactly(commit("stuck"));
            assertThat(log.isBranchDone("stuck", A)).isTrue();
            assertThat(log.isBranchDone("stuck", B)).isFalse();
        }
    }

    @Test
    void theRecoveryPathsEndIsForcedBeforeItReturnsWhileTheCommitPathsEndIsNot() {
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            log.logCommit(commit("lazy"));
            log.logCommit(commit("forced"));
            long forces = log.stats().forces();
            log.logEnd("lazy");
            log.logEndForced("forced");
            // logEndForced returned only after a force of its own (the lazy END rode along or waits for idleness).
            assertThat(log.stats().forces()).isEqualTo(forces + 1);
            assertThat(log.unfinished()).extracting(CommitRecord::gtrid).doesNotContain("forced");
        }
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(log.unfinished()).isEmpty();
            assertThat(log.decision("forced")).isEqualTo(Decision.UNKNOWN);
        }
        assertThat(List.of(dir)).isNotEmpty();
    }
}
