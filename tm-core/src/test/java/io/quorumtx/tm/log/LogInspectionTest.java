package io.quorumtx.tm.log;

import static io.quorumtx.tm.log.LogFixtures.commit;
import static io.quorumtx.tm.log.LogFixtures.gtrids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogInspectionTest {
    @TempDir
    Path dir;

    private Map<String, String> snapshot() throws Exception {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                files.put(p.getFileName().toString(), HexFormat.of().formatHex(Files.readAllBytes(p)));
            }
        }
        return files;
    }

    @Test
    void seesTheSameUnfinishedCommitsAsOpeningTheLogAcrossRollOversAndCarriedCommits() throws Exception {
        LocalCommitLog.Options small = LocalCommitLog.Options.builder().segmentBytes(1024).build();
        try (LocalCommitLog log = LocalCommitLog.open(dir, small)) {
            for (int i = 0; i < 60; i++) {
                log.logCommit(commit("g" + i));
                if (i % 3 != 0) {
                    log.logEnd("g" + i);
                }
            }
        }
        Map<String, String> before = snapshot();

        LogInspection inspection = LogInspection.read(dir);

        assertThat(snapshot()).as("nothing changed").isEqualTo(before);
        assertThat(inspection.clean()).isTrue();
        assertThat(inspection.segments()).hasSizeGreaterThan(1);
        assertThat(inspection.decision("g3")).isEqualTo(Decision.COMMIT);
        assertThat(inspection.decision("g4")).isEqualTo(Decision.UNKNOWN);
        try (LocalCommitLog reopened = LocalCommitLog.open(dir, small)) {
            assertThat(gtrids(inspection.unfinished())).isEqualTo(gtrids(reopened.unfinished()))
                    .hasSize(20);
        }
    }

    @Test
    void anIncompleteSegmentIsReportedButNotDeleted() throws Exception {
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            log.logCommit(commit("g1"));
        }
        Path stub = dir.resolve("commit-00000000000000000077.log");
        Files.write(stub, new byte[5]);

        LogInspection inspection = LogInspection.read(dir);

        assertThat(inspection.problems()).extracting(LogInspection.Problem::kind)
                .containsExactly(LogInspection.ProblemKind.INCOMPLETE_HEADER);
        assertThat(inspection.problems().get(0).serious()).isFalse();
        assertThat(stub).exists();
        assertThat(gtrids(inspection.unfinished())).containsExactly("g1");
    }

    @Test
    void aMissingDirectoryIsAClearErrorAndIsNotCreated() {
        Path missing = dir.resolve("absent");

        assertThatThrownBy(() -> LogInspection.read(missing)).isInstanceOf(CommitLogException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("does not exist");
        assertThat(missing).doesNotExist();
    }

    @Test
    void readsTheNodeIdAndSeesALogHeldInThisJvmWithoutReleasingIt() throws Exception {
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            NodeIdFile.claim(dir, "n7");
            LogInspection inspection = LogInspection.read(dir);
            assertThat(inspection.nodeId()).contains("n7");
            assertThat(inspection.probablyRunning()).isTrue();
            assertThatThrownBy(() -> LocalCommitLog.open(dir)).isInstanceOf(CommitLogException.class);
            log.logCommit(commit("after-inspection"));
            assertThat(log.decision("after-inspection")).as("the holder still writes").isEqualTo(Decision.COMMIT);
        }
        assertThat(LogInspection.read(dir).probablyRunning()).isFalse();
    }
}
