package io.quorumtx.tm.log;

import io.quorumtx.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.quorumtx.tm.log.LogFixtures.commit;
import static io.quorumtx.tm.log.LogFixtures.gtrids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalCommitLogRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void commitsAndEndsSurviveCloseAndReopen() {
        CommitRecord unicode = new CommitRecord("tx-ü-3", List.of(new BranchRecord("bank Ω", "q\u0000z")), 42L);
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            log.logCommit(commit("tx-1"));
            log.logCommit(commit("tx-2"));
            log.logCommit(unicode);
            log.logEnd("tx-2");
            assertThat(log.decision("tx-1")).isEqualTo(Decision.COMMIT);
        }
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(log.decision("tx-1")).isEqualTo(Decision.COMMIT);
            assertThat(log.decision("tx-2")).isEqualTo(Decision.UNKNOWN);
            assertThat(log.decision("never-logged")).isEqualTo(Decision.UNKNOWN);
            assertThat(log.unfinished()).as("oldest decision first").containsExactly(unicode, commit("tx-1"));
            assertThat(log.openReport().clean()).isTrue();
            assertThat(log.openReport().recordsRead()).isEqualTo(4);
            assertThat(log.openReport().unfinishedCommits()).isEqualTo(2);
            log.logEnd("tx-1");
        }
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(gtrids(log.unfinished())).containsExactly("tx-ü-3");
        }
    }

    @Test
    void unfinishedListsOldestFirstAndEndedCommitsAreForgotten() {
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            for (String id : List.of("c", "a", "d", "b")) {
                log.logCommit(commit(id));
            }
            log.logEnd("d");
            log.logEnd("unknown-gtrid");
            Poll.until("the END is applied", Duration.ofSeconds(10), () -> log.decision("d") == Decision.UNKNOWN);
            assertThat(gtrids(log.unfinished())).containsExactly("c", "a", "b");
        }
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(gtrids(log.unfinished())).containsExactly("c", "a", "b");
        }
    }

    @Test
    void endIsWrittenButNotForcedUntilTheNextCommitOrClose() {
        LocalCommitLog.Options options = LocalCommitLog.Options.builder().endFlushInterval(Duration.ofHours(1)).build();
        LocalCommitLog log = LocalCommitLog.open(dir, options);
        log.logCommit(commit("tx-1"));
        long forcesAfterCommit = log.stats().forces();
        log.logEnd("tx-1");
        Poll.until("the END is written", Duration.ofSeconds(10), () -> log.stats().recordsWritten() == 2);
        assertThat(log.stats().forces()).isEqualTo(forcesAfterCommit);
        log.close();
        assertThat(log.stats().forces()).isEqualTo(forcesAfterCommit + 1);
        try (LocalCommitLog reopened = LocalCommitLog.open(dir)) {
            assertThat(reopened.unfinished()).isEmpty();
        }
    }

    @Test
    void closedLogRefusesCommitsAsDefinitelyNotWrittenAndCloseIsIdempotent() {
        LocalCommitLog log = LocalCommitLog.open(dir);
        log.logCommit(commit("tx-1"));
        log.close();
        log.close();
        assertThatThrownBy(() -> log.logCommit(commit("tx-2")))
                .isInstanceOfSatisfying(CommitLogException.class, e -> assertThat(e.definitelyNotWritten()).isTrue())
                .hasMessageContaining("is closed").hasMessageContaining(dir.toString());
        log.logEnd("tx-1"); // ENDs are advisory: no exception after close
        try (LocalCommitLog reopened = LocalCommitLog.open(dir)) {
            assertThat(gtrids(reopened.unfinished())).containsExactly("tx-1");
        }
    }

    @Test
    void recordTooLargeForAFrameIsRefusedAsNotWrittenAndTheLogGoesOn() {
        String huge = "r".repeat(17 * 1024 * 1024);
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThatThrownBy(() -> log.logCommit(new CommitRecord("big", List.of(new BranchRecord(huge, "q")), 1L)))
                    .isInstanceOfSatisfying(CommitLogException.class, e -> assertThat(e.definitelyNotWritten()).isTrue())
                    .hasMessageContaining("gtrid big").hasMessageContaining("at most");
            log.logCommit(commit("small"));
            assertThat(gtrids(log.unfinished())).containsExactly("small");
        }
    }

    @Test
    void writerIsOneNamedDaemonThreadThatStopsOnClose() {
        String name = "quorumtx-log-writer-" + dir.getFileName();
        LocalCommitLog log = LocalCommitLog.open(dir);
        assertThat(Thread.getAllStackTraces().keySet()).filteredOn(t -> t.getName().equals(name))
                .singleElement().satisfies(t -> assertThat(t.isDaemon()).isTrue());
        log.close();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals(name) && t.isAlive());
    }

    @Test
    void twoLogsInOneJvmAreIndependent(@TempDir Path other) {
        try (LocalCommitLog first = LocalCommitLog.open(dir); LocalCommitLog second = LocalCommitLog.open(other)) {
            first.logCommit(commit("only-in-first"));
            second.logCommit(commit("only-in-second"));
            assertThat(first.decision("only-in-second")).isEqualTo(Decision.UNKNOWN);
            assertThat(gtrids(second.unfinished())).containsExactly("only-in-second");
        }
    }
}
