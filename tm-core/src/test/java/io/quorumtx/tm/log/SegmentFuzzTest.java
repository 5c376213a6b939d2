package io.quorumtx.tm.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.quorumtx.tm.fuzz.FuzzSupport;
import io.quorumtx.tm.log.OpenReport.Damage;
import io.quorumtx.tm.log.OpenReport.DamageKind;
import io.quorumtx.tm.log.internal.FrameCodec;
import io.quorumtx.tm.log.internal.LogEntry;
import io.quorumtx.tm.log.internal.Segment;
import io.quorumtx.tm.log.internal.SegmentScanner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Fuzzes the local log's segment scanner and what {@link LocalCommitLog#open} makes of a segment:
 * the input is segment 1 of a log directory (after a mode byte: bit 0 set, the harness re-seals
 * every frame's CRC-32C so the fuzzer reaches the record parser).
 *
 * <p>Properties: scanning reads the segment or throws {@link CommitLogException}, never an
 * unchecked exception of another kind; every frame intact before the first damage is delivered,
 * in order (a corrupted segment never loses a frame that was intact before the damage point); the
 * file is only ever cut at a reported torn tail or in zeros, never below the intact prefix; the
 * log opened on it holds exactly the unfinished commits of the records scanned; a segment in which
 * a corrupt frame was skipped is kept on disk as it was (it may hold a decision nobody can read);
 * and opening again finds the same unfinished commits (the first open's clean-up lost nothing).
 */
class SegmentFuzzTest {
    private static final LocalCommitLog.Options OPTIONS = new LocalCommitLog.Options(1024, 64, Duration.ofSeconds(1));
    private static final String FILE = Segment.fileName(1);

    @FuzzTest
    void openSegment(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        byte[] file = Arrays.copyOfRange(input, 1, input.length);
        if ((input[0] & 1) != 0) {
            file = FuzzSupport.resealFrames(file, FrameCodec.HEADER_BYTES);
        }
        Path dir = FuzzSupport.scratchDirectory("log-");
        try {
            check(dir, file);
        } finally {
            FuzzSupport.delete(dir);
        }
    }

    private static void check(Path dir, byte[] file) throws IOException {
        Path scanned = Files.createDirectory(dir.resolve("scanned"));
        Files.write(scanned.resolve(FILE), file);
        List<LogEntry> entries = new ArrayList<>();
        List<Damage> damages = new ArrayList<>();
        Segment segment = new Segment(1, scanned.resolve(FILE));
        try {
            new SegmentScanner().scan(segment, entries::add, damages);
        } catch (CommitLogException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            assertThat(Files.readAllBytes(segment.path())).as("a refused segment is left as it was").isEqualTo(file);
            return;
        }
        Prefix prefix = intactPrefix(file);
        assertThat(entries.size()).isGreaterThanOrEqualTo(prefix.entries.size());
        assertThat(entries.subList(0, prefix.entries.size())).as("the frames intact before the first damage")
                .isEqualTo(prefix.entries);
        boolean skipped = damages.stream().anyMatch(d -> d.kind() == DamageKind.CORRUPT_FRAME_SKIPPED);
        if (Files.exists(segment.path())) {
            byte[] after = Files.readAllBytes(segment.path());
            assertThat(after.length).isGreaterThanOrEqualTo(prefix.end);
            assertThat(after).as("what is kept of the segment").isEqualTo(Arrays.copyOf(file, after.length));
            byte[] cut = Arrays.copyOfRange(file, after.length, file.length);
            boolean reportedTorn = damages.stream().anyMatch(d -> d.kind() == DamageKind.TORN_TAIL
                    && d.offset() == after.length && d.bytes() == cut.length);
            assertThat(reportedTorn || allZero(cut)).as("%d bytes cut and not reported", cut.length).isTrue();
        } else {
            assertThat(damages).as("why the segment was deleted").singleElement()
                    .extracting(Damage::kind).isEqualTo(DamageKind.INCOMPLETE_HEADER);
            assertThat(entries).isEmpty();
        }

        Set<String> unfinished = unfinishedOf(entries);
        Path logDir = Files.createDirectory(dir.resolve("log"));
        Files.write(logDir.resolve(FILE), file);
        try (LocalCommitLog log = LocalCommitLog.open(logDir, OPTIONS)) {
            assertThat(gtrids(log.unfinished())).as("unfinished commits").isEqualTo(unfinished);
            assertThat(log.openReport().damages()).hasSameSizeAs(damages);
        }
        if (skipped) {
            assertThat(logDir.resolve(FILE)).as("a segment in which a corrupt frame was skipped").exists();
            assertThat(Files.readAllBytes(logDir.resolve(FILE))).isEqualTo(Files.readAllBytes(segment.path()));
        }
        try (LocalCommitLog log = LocalCommitLog.open(logDir, OPTIONS)) {
            assertThat(gtrids(log.unfinished())).as("unfinished commits after a reopen").isEqualTo(unfinished);
        }
    }

    private record Prefix(List<LogEntry> entries, int end) {
    }

    /** The frames read one after the other from the header until the first that is not intact. */
    private static Prefix intactPrefix(byte[] file) {
        List<LogEntry> entries = new ArrayList<>();
        if (file.length < FrameCodec.HEADER_BYTES) {
            return new Prefix(entries, 0);
        }
        ByteBuffer data = ByteBuffer.wrap(file);
        CRC32C crc = new CRC32C();
        int at = FrameCodec.HEADER_BYTES;
        while (true) {
            LogEntry e = FrameCodec.decodeFrame(data, at, file.length, crc);
            if (e == null) {
                return new Prefix(entries, at);
            }
            entries.add(e);
            at += FrameCodec.FRAME_OVERHEAD + data.getInt(at);
        }
    }

    private static Set<String> unfinishedOf(List<LogEntry> entries) {
        Set<String> open = new LinkedHashSet<>();
        for (LogEntry e : entries) {
            if (e instanceof LogEntry.Commit c) {
                open.add(c.gtrid());
            } else if (e instanceof LogEntry.End end) {
                open.remove(end.gtrid());
            }
        }
        return open;
    }

    private static Set<String> gtrids(List<CommitRecord> records) {
        Set<String> ids = new LinkedHashSet<>();
        records.forEach(r -> ids.add(r.gtrid()));
        return Set.copyOf(ids);
    }

    private static boolean allZero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** A segment with every record type (COMMIT, END, BRANCH_DONE), and damaged variants. */
    static Map<String, byte[]> seeds() {
        ByteArrayOutputStream segment = new ByteArrayOutputStream();
        byte[] header = new byte[FrameCodec.HEADER_BYTES];
        FrameCodec.header(1).get(header);
        segment.writeBytes(header);
        BranchRecord a = new BranchRecord("db-a", "db-a");
        BranchRecord b = new BranchRecord("db-b", "q");
        segment.writeBytes(FrameCodec.encodeCommit(new CommitRecord("n1.e1.1.1", List.of(a, b), 42)));
        segment.writeBytes(FrameCodec.encodeEnd("n1.e1.1.1"));
        int second = segment.size();
        segment.writeBytes(FrameCodec.encodeCommit(new CommitRecord("n1.e1.2.1", List.of(a, b), 43)));
        segment.writeBytes(FrameCodec.encodeBranchDone("n1.e1.2.1", a));
        segment.writeBytes(FrameCodec.encodeEnd("n1.e1.2.1"));
        segment.writeBytes(FrameCodec.encodeCommit(new CommitRecord("n1.e1.3.1", List.of(a), 44)));
        byte[] every = segment.toByteArray();
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("header-only", FuzzSupport.withMode(0, header));
        seeds.put("every-type", FuzzSupport.withMode(0, every));
        seeds.put("every-type-resealed", FuzzSupport.withMode(1, every));
        seeds.put("zero-tail", FuzzSupport.withMode(0, Arrays.copyOf(every, every.length + 100)));
        seeds.put("torn-tail", FuzzSupport.withMode(0, Arrays.copyOf(every, every.length - 3)));
        byte[] corrupt = every.clone();
        corrupt[second + 12] ^= 0x01;
        seeds.put("corrupt-middle", FuzzSupport.withMode(0, corrupt));
        seeds.put("truncated-header", FuzzSupport.withMode(0, Arrays.copyOf(header, 9)));
        return seeds;
    }

    @Test
    @EnabledIfSystemProperty(named = FuzzSupport.WRITE_SEEDS, matches = "true")
    void writeSeeds() throws Exception {
        FuzzSupport.writeSeeds(SegmentFuzzTest.class, "openSegment", seeds());
    }
}
