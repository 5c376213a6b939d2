package io.quorumtx.tm.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static io.quorumtx.tm.log.LogFixtures.commit;
import static io.quorumtx.tm.log.LogFixtures.gtrids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class LocalCommitLogFailStopTest {
    @TempDir
    Path dir;

    @Test
    void failedForceLeavesThatCommitInDoubtAndRefusesLaterCommitsAsNotWritten() {
        FailingDisk disk = new FailingDisk();
        LocalCommitLog log = LocalCommitLog.open(dir, LocalCommitLog.Options.defaults(), disk);
        log.logCommit(commit("before"));

        disk.failForces(new IOException("EIO: simulated disk failure"));
        CommitLogException inDoubt = catchThrowableOfType(CommitLogException.class,
                () -> log.logCommit(commit("in-doubt")));
        assertThat(inDoubt.definitelyNotWritten()).isFalse();
        assertThat(inDoubt).hasMessageContaining(dir.toString()).hasMessageContaining("in doubt")
                .hasRootCauseMessage("EIO: simulated disk failure");
        assertThat(log.decision("in-doubt")).isEqualTo(Decision.UNKNOWN);

        disk.failForces(null); // the disk "recovers", but the log must not trust it again
        CommitLogException refused = catchThrowableOfType(CommitLogException.class,
                () -> log.logCommit(commit("after")));
        assertThat(refused.definitelyNotWritten()).isTrue();
        assertThat(refused).hasMessageContaining(dir.toString()).hasMessageContaining("has failed")
                .hasMessageContaining("EIO: simulated disk failure");
        log.logEnd("before"); // advisory, never throws
        log.close();

        try (LocalCommitLog reopened = LocalCommitLog.open(dir)) {
            assertThat(gtrids(reopened.unfinished())).contains("before").doesNotContain("after");
        }
    }
}
