package io.quorumtx.tm.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.quorumtx.tm.log.LogFixtures.commit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalCommitLogLockTest {
    @TempDir
    Path dir;

    @Test
    void secondLogOnTheSameDirectoryInThisJvmIsRefusedUntilTheFirstCloses() {
        LocalCommitLog first = LocalCommitLog.open(dir);
        assertThatThrownBy(() -> LocalCommitLog.open(dir))
                .isInstanceOfSatisfying(CommitLogException.class, e -> assertThat(e.definitelyNotWritten()).isTrue())
                .hasMessageContaining("Commit log directory " + dir)
                .hasMessageContaining(dir.resolve("lock").toString())
                .hasMessageContaining("give this transaction manager its own log directory");
        first.logCommit(commit("still-writable"));
        first.close();
        try (LocalCommitLog second = LocalCommitLog.open(dir)) {
            assertThat(second.decision("still-writable")).isEqualTo(Decision.COMMIT);
        }
    }

    @Test
    void anotherProcessIsRefusedWhileTheLogIsOpenEvenAfterARefusedOpenerInThisJvm() throws Exception {
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            // A refused opener in this JVM must not release the OS lock (closing any descriptor
            // of a POSIX-locked file would).
            assertThatThrownBy(() -> LocalCommitLog.open(dir)).isInstanceOf(CommitLogException.class);
            Probe refused = probe();
            assertThat(refused.exitCode).isEqualTo(3);
            assertThat(refused.stderr)
                    .contains("Commit log directory " + dir + " is in use by another QuorumTX process")
                    .contains("lock file " + dir.resolve("lock"))
                    .contains("held by pid " + ProcessHandle.current().pid())
                    .contains("Stop that process, or give this transaction manager its own log directory.");
            log.logCommit(commit("tx-1"));
        }
        Probe opened = probe();
        assertThat(opened.exitCode).as(opened.stderr).isZero();
    }

    @Test
    void pathThatIsAFileIsRefusedWithItsName() throws IOException {
        Path file = Files.createFile(dir.resolve("not-a-directory"));
        assertThatThrownBy(() -> LocalCommitLog.open(file))
                .isInstanceOf(CommitLogException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("is not a directory");
    }

    @Test
    void missingDirectoryIsCreated() {
        Path nested = dir.resolve("a/b/log");
        try (LocalCommitLog log = LocalCommitLog.open(nested)) {
            log.logCommit(commit("tx-1"));
        }
        assertThat(nested.resolve("lock")).exists();
    }

    private record Probe(int exitCode, String stderr) {
    }

    private Probe probe() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockProbe.class.getName(), dir.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("probe process finished").isTrue();
        return new Probe(process.exitValue(), stderr);
    }
}
