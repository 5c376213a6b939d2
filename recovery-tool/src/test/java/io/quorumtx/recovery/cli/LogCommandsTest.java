package io.quorumtx.recovery.cli;

import static io.quorumtx.recovery.testing.CliRun.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quorumtx.recovery.testing.CliRun.Result;
import io.quorumtx.recovery.testing.LogFiles;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.LocalCommitLog;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogCommandsTest {
    private static final String A = "n1.lz3k9q2a7f1x.1";
    private static final String B = "n1.lz3k9q2a7f1x.2";
    private static final String C = "n1.lz3k9q2a7f1x.3";

    @TempDir
    Path dir;

    /** Three commits, A finished: B and C unfinished. One segment: A, B, C, END A. */
    private void writeLog() {
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            for (String gtrid : List.of(A, B, C)) {
                log.logCommit(new CommitRecord(gtrid, List.of(new BranchRecord("bank-a", "bank-a"),
                        new BranchRecord("bank-b", "bank-b")), 1_700_000_000_000L));
            }
            log.logEnd(A);
        }
    }

    @Test
    void dumpListsEveryFrameWithSegmentOffsetTypeGtridAndBranches() throws Exception {
        writeLog();
        Map<String, String> before = LogFiles.snapshot(dir);

        Result r = cli().run("log", "dump", "--log-dir", dir.toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.IN_DOUBT);
        assertThat(r.out()).contains("segment commit-").contains("@16 ").contains("COMMIT " + A)
                .contains("END    " + A).contains("[bank-a, bank-b]").contains("2023-11-14T22:13:20Z")
                .contains("unfinished commits: 2").doesNotContain("DAMAGE");
        assertThat(LogFiles.snapshot(dir)).isEqualTo(before);
    }

    @Test
    void dumpAsJsonHasOneEntryPerFrame() throws Exception {
        writeLog();

        Result r = cli().run("log", "dump", "--log-dir", dir.toString(), "--json");

        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("frames")).hasSize(4);
        assertThat(json.at("/frames/0/type").asText()).isEqualTo("COMMIT");
        assertThat(json.at("/frames/0/offset").asLong()).isEqualTo(16);
        assertThat(json.at("/frames/0/branches/1/resource").asText()).isEqualTo("bank-b");
        assertThat(json.at("/frames/3/type").asText()).isEqualTo("END");
        assertThat(json.at("/frames/3/gtrid").asText()).isEqualTo(A);
        assertThat(json.get("unfinished")).extracting(n -> n.get("gtrid").asText()).containsExactly(B, C);
        assertThat(json.get("intact").asBoolean()).isTrue();
        assertThat(json.get("exitCode").asInt()).isEqualTo(1);
        assertThat(r.err()).isEmpty();
    }

    @Test
    void verifyOfAnIntactLogWithNothingUnfinishedExitsZero() {
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            log.logCommit(new CommitRecord(A, List.of(new BranchRecord("bank-a", "bank-a")), 1L));
            log.logEnd(A);
        }

        Result r = cli().run("log", "verify", "--log-dir", dir.toString());

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("every CRC valid").contains("unfinished commits: none");
    }

    @Test
    void verifyReportsTornTailAndCorruptMiddleFrameWithOffsetsAndChangesNothing() throws Exception {
        writeLog();
        Path segment = LogFiles.largestSegment(dir);
        long end = Files.size(segment);
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {0x55}), 16 + 12); // inside the payload of the first COMMIT (A)
            ch.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 60, 1, 2, 3, 4, 1, 'x'}), end); // a torn append
        }
        Map<String, String> before = LogFiles.snapshot(dir);

        Result r = cli().run("log", "verify", "--log-dir", dir.toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.out()).contains("DAMAGE CORRUPT_FRAME").contains("at offset 16:")
                .contains("DAMAGE TORN_TAIL").contains("at offset " + end + ":");
        assertThat(r.err()).contains("is damaged").contains("Nothing was changed");
        // The corrupt frame was A's COMMIT; its END still cancels nothing, so A now reads as unknown.
        assertThat(r.out()).contains("unfinished commits: 2");
        assertThat(LogFiles.snapshot(dir)).isEqualTo(before);

        Result json = cli().run("log", "verify", "--log-dir", dir.toString(), "--json");
        JsonNode problems = new ObjectMapper().readTree(json.out()).get("problems");
        assertThat(problems).extracting(p -> p.get("kind").asText() + "@" + p.get("offset").asLong())
                .containsExactly("CORRUPT_FRAME@16", "TORN_TAIL@" + end);
        assertThat(LogFiles.snapshot(dir)).isEqualTo(before);
    }

    @Test
    void theLogDirectoryCanComeFromTheConfiguration() throws Exception {
        writeLog();
        Path config = dir.resolveSibling(dir.getFileName() + ".properties");
        Files.writeString(config, "log.directory=" + dir + "\n");
        try {
            Result r = cli().run("log", "verify", "--config", config.toString());

            assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.IN_DOUBT);
            assertThat(r.out()).contains("unfinished commits: 2").contains(B).contains(C);
        } finally {
            Files.delete(config);
        }
    }

    @Test
    void aMissingLogDirectoryIsOneClearMessageAndExitTwo() {
        Path missing = dir.resolve("nope");

        Result r = cli().run("log", "verify", "--log-dir", missing.toString());

        assertThat(r.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err().strip()).contains(missing.toString()).contains("does not exist")
                .doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.out()).isEmpty();
        assertThat(missing).doesNotExist();
    }

    @Test
    void aFileThatIsNotASegmentIsReportedNotRefused() throws Exception {
        writeLog();
        Files.writeString(dir.resolve("commit-00000000000000000099.log"), "this is not a log segment at all");

        Result r = cli().run("log", "verify", "--log-dir", dir.toString());

        assertThat(r.exit()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.out()).contains("DAMAGE BAD_HEADER").contains("not a QuorumTX commit log segment");
    }

    @Test
    void verifyReadsTheLogOfARunningNodeWithoutDisturbingIt() {
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            log.logCommit(new CommitRecord(A, List.of(new BranchRecord("bank-a", "bank-a")), 1L));

            Result r = cli().run("log", "verify", "--log-dir", dir.toString());

            assertThat(r.out()).contains("its node is running").contains(A);
            // The running log still works: its lock was not dropped and it still accepts commits.
            log.logCommit(new CommitRecord(B, List.of(new BranchRecord("bank-a", "bank-a")), 2L));
            assertThat(log.unfinished()).extracting(CommitRecord::gtrid).containsExactly(A, B);
        }
    }
}
