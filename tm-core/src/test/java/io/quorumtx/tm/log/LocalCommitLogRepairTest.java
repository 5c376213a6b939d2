package io.quorumtx.tm.log;

import io.quorumtx.tm.log.OpenReport.Damage;
import io.quorumtx.tm.log.OpenReport.DamageKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static io.quorumtx.tm.log.LogFixtures.commit;
import static io.quorumtx.tm.log.LogFixtures.frameOffsets;
import static io.quorumtx.tm.log.LogFixtures.gtrids;
import static io.quorumtx.tm.log.LogFixtures.nonEmptySegments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What open does with torn and corrupt segments: cut torn tails, never lose intact later records. */
class LocalCommitLogRepairTest {
    @TempDir
    Path dir;

    @Test
    void tornLastFrameIsCutReportedAndLaterAppendsSurvive() throws IOException {
        writeSession("tx-", 0, 3);
        Path segment = nonEmptySegments(dir).get(0);
        long fullLength = Files.size(segment);
        int lastFrame = frameOffsets(segment).get(2);
        truncate(segment, fullLength - 5);

        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(gtrids(log.unfinished())).containsExactly("tx-0", "tx-1");
            assertThat(log.openReport().damages()).containsExactly(
                    new Damage(segment, lastFrame, fullLength - 5 - lastFrame, DamageKind.TORN_TAIL));
            assertThat(Files.size(segment)).isEqualTo(lastFrame);
            log.logCommit(commit("tx-after"));
        }
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(gtrids(log.unfinished())).containsExactly("tx-0", "tx-1", "tx-after");
            assertThat(log.openReport().clean()).isTrue();
        }
    }

    @Test
    void garbageAfterTheLastFrameIsCutAndEveryRecordKept() throws IOException {
        writeSession("tx-", 0, 3);
        Path segment = nonEmptySegments(dir).get(0);
        long fullLength = Files.size(segment);
        byte[] garbage = new byte[37];
        for (int i = 0; i < garbage.length; i++) {
            garbage[i] = (byte) (i * 31 + 7);
        }
        Files.write(segment, garbage, StandardOpenOption.APPEND);

        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(gtrids(log.unfinished())).containsExactly("tx-0", "tx-1", "tx-2");
            assertThat(log.openReport().damages()).containsExactly(
                    new Damage(segment, fullLength, 37, DamageKind.TORN_TAIL));
            assertThat(Files.size(segment)).isEqualTo(fullLength);
        }
    }

    @Test
    void zeroTailLeftByACrashInPreallocatedSpaceIsTrimmedWithoutReportingDamage() throws IOException {
        writeSession("tx-", 0, 2);
        Path segment = nonEmptySegments(dir).get(0);
        long fullLength = Files.size(segment);
        Files.write(segment, new byte[4096], StandardOpenOption.APPEND);

        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(gtrids(log.unfinished())).containsExactly("tx-0", "tx-1");
            assertThat(log.openReport().clean()).isTrue();
            assertThat(Files.size(segment)).isEqualTo(fullLength);
        }
    }

    @Test
    void partlyWrittenFrameBeforeZerosIsATornTail() throws IOException {
        writeSession("tx-", 0, 2);
        Path segment = nonEmptySegments(dir).get(0);
        long fullLength = Files.size(segment);
        byte[] torn = new byte[4096];
        torn[0] = 0;
        torn[3] = 70; // a plausible length, the rest of the frame never reached the disk
        torn[9] = 1;
        Files.write(segment, torn, StandardOpenOption.APPEND);

        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(gtrids(log.unfinished())).containsExactly("tx-0", "tx-1");
            assertThat(log.openReport().damages()).containsExactly(
                    new Damage(segment, fullLength, 4096, DamageKind.TORN_TAIL));
            assertThat(Files.size(segment)).isEqualTo(fullLength);
        }
    }

    @Test
    void corruptFrameInTheMiddleIsSkippedWithoutLosingLaterFramesOrSegments() throws IOException {
        writeSession("a-", 0, 5);
        writeSession("b-", 0, 5);
        writeSession("c-", 0, 5);
        List<Path> segments = nonEmptySegments(dir);
        assertThat(segments).hasSize(3);
        Path first = segments.get(0);
        long length = Files.size(first);
        List<Integer> frames = frameOffsets(first);
        int corrupt = frames.get(1);
        flipByte(first, corrupt + 8 + 6); // inside the payload of a-1: CRC no longer matches

        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            List<String> expected = new ArrayList<>(List.of("a-0", "a-2", "a-3", "a-4"));
            expected.addAll(LogFixtures.gtrids("b-", 0, 5));
            expected.addAll(LogFixtures.gtrids("c-", 0, 5));
            assertThat(gtrids(log.unfinished())).containsExactlyElementsOf(expected);
            assertThat(log.decision("a-1")).isEqualTo(Decision.UNKNOWN);
            assertThat(log.openReport().damages()).containsExactly(
                    new Damage(first, corrupt, frames.get(2) - corrupt, DamageKind.CORRUPT_FRAME_SKIPPED));
            assertThat(log.openReport().damages().get(0).describe()).contains("recovery tool");
            assertThat(Files.size(first)).as("a skipped span is not cut away").isEqualTo(length);
        }
    }

    /**
     * Found by SegmentFuzzTest (regression input regression-damaged-segment-deleted): a segment
     * whose readable commits were all finished was deleted at open although a corrupt frame, maybe
     * a COMMIT without END, had been skipped in it.
     */
    @Test
    void segmentInWhichACorruptFrameWasSkippedIsNeverDeleted() throws IOException {
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            for (int i = 0; i < 3; i++) {
                log.logCommit(commit("a-" + i));
            }
            log.logEndForced("a-0");
            log.logEndForced("a-2");
        }
        Path first = nonEmptySegments(dir).get(0);
        List<Integer> frames = frameOffsets(first);
        int corrupt = frames.get(1); // the COMMIT of a-1, which has no END
        flipByte(first, corrupt + 8 + 6);
        byte[] damaged = Files.readAllBytes(first);

        for (int open = 0; open < 2; open++) {
            try (LocalCommitLog log = LocalCommitLog.open(dir)) {
                assertThat(log.unfinished()).isEmpty();
                assertThat(log.openReport().damages()).containsExactly(
                        new Damage(first, corrupt, frames.get(2) - corrupt, DamageKind.CORRUPT_FRAME_SKIPPED));
                assertThat(first).as("the damaged segment after open %d", open).exists();
                assertThat(Files.readAllBytes(first)).isEqualTo(damaged);
            }
        }
    }

    @Test
    void badLastFrameOfAnOlderSegmentIsCutAndLaterSegmentsAreKept() throws IOException {
        writeSession("a-", 0, 3);
        writeSession("b-", 0, 3);
        Path first = nonEmptySegments(dir).get(0);
        int last = frameOffsets(first).get(2);
        flipByte(first, last + 10);

        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(gtrids(log.unfinished())).containsExactly("a-0", "a-1", "b-0", "b-1", "b-2");
            assertThat(log.openReport().damages()).extracting(Damage::segment, Damage::offset, Damage::kind)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(first, (long) last, DamageKind.TORN_TAIL));
            assertThat(Files.size(first)).isEqualTo(last);
        }
    }

    @Test
    void segmentShorterThanItsHeaderIsDeletedAndReported() throws IOException {
        writeSession("tx-", 0, 1);
        Path stub = dir.resolve("commit-00000000000000000099.log");
        Files.write(stub, new byte[] {0x51, 0x54});

        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(gtrids(log.unfinished())).containsExactly("tx-0");
            assertThat(log.openReport().damages()).containsExactly(new Damage(stub, 0, 2, DamageKind.INCOMPLETE_HEADER));
            assertThat(stub).doesNotExist();
        }
    }

    @Test
    void segmentCreatedButNeverGivenItsHeaderIsDeletedAndReported() throws IOException {
        writeSession("tx-", 0, 1);
        Path zeros = dir.resolve("commit-00000000000000000042.log");
        Files.write(zeros, new byte[64 * 1024]);

        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            assertThat(gtrids(log.unfinished())).containsExactly("tx-0");
            assertThat(log.openReport().damages())
                    .containsExactly(new Damage(zeros, 0, 64 * 1024, DamageKind.INCOMPLETE_HEADER));
            assertThat(zeros).doesNotExist();
        }
    }

    @Test
    void segmentCopiedUnderAnotherNameStopsOpen() throws IOException {
        writeSession("tx-", 0, 1);
        Path copy = dir.resolve("commit-00000000000000000077.log");
        Files.copy(nonEmptySegments(dir).get(0), copy);

        assertThatThrownBy(() -> LocalCommitLog.open(dir))
                .isInstanceOf(CommitLogException.class)
                .hasMessageContaining(copy.toString()).hasMessageContaining("calls itself segment 1");
    }

    @Test
    void foreignFileNamedLikeASegmentStopsOpenWithItsName() throws IOException {
        Path foreign = dir.resolve("commit-00000000000000000001.log");
        Files.writeString(foreign, "this is not a commit log segment at all");

        assertThatThrownBy(() -> LocalCommitLog.open(dir))
                .isInstanceOf(CommitLogException.class)
                .hasMessageContaining(foreign.toString()).hasMessageContaining("not a QuorumTX commit log segment");
        Files.delete(foreign);
        LocalCommitLog.open(dir).close(); // the failed open released the directory lock
    }

    /** One open-commit-close cycle; every open starts a new segment. */
    private void writeSession(String prefix, int from, int to) {
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            for (int i = from; i < to; i++) {
                log.logCommit(commit(prefix + i));
            }
        }
    }

    private static void truncate(Path file, long length) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(length);
        }
    }

    private static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.put(0, (byte) (one.get(0) ^ 0x5A)).rewind();
            channel.write(one, offset);
        }
    }
}
