package io.quorumtx.tm.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.quorumtx.tm.log.LogFixtures.gtrids;
import static org.assertj.core.api.Assertions.assertThat;

/** The log in a process that dies: forked JVMs, so the lock and the files see a real death. */
class LocalCommitLogCrashTest {
    @TempDir
    Path dir;

    @Test
    void acknowledgedCommitsSurviveTheDeathOfTheWritingProcess() throws Exception {
        Process process = committer("25").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("committer process finished").isTrue();
        assertThat(process.exitValue()).isZero();

        // The dead process's lock is gone, its preallocated zeros are trimmed without complaint.
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(gtrids(log.unfinished())).containsExactlyElementsOf(LogFixtures.gtrids("crash-", 0, 25));
            assertThat(log.openReport().clean()).isTrue();
        }
    }

    @Test
    void everyCommitAcknowledgedBeforeAKillIsThereAfterReopen() throws Exception {
        Process process = committer().redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Set<String> acknowledged = new HashSet<>();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (acknowledged.size() < 300 && (line = out.readLine()) != null) {
                if (line.startsWith("ack ")) {
                    acknowledged.add(line.substring(4));
                }
            }
            process.destroyForcibly(); // SIGKILL in the middle of committing
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("committer process died").isTrue();
        }
        assertThat(acknowledged).hasSize(300);

        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(gtrids(log.unfinished())).containsAll(acknowledged);
        }
    }

    private ProcessBuilder committer(String... count) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                CrashingCommitter.class.getName(), dir.toString());
        builder.command().addAll(List.of(count));
        return builder;
    }
}
