package io.quorumtx.tm.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;


/** Small builders and file helpers shared by the log tests. */
final class LogFixtures {
    static final int HEADER_BYTES = 16;

    private LogFixtures() {
    }

    static CommitRecord commit(String gtrid) {
        return new CommitRecord(gtrid, List.of(new BranchRecord("db-a", gtrid + "-a"),
                new BranchRecord("db-b", gtrid + "-b")), 1_700_000_000_000L);
    }

    static List<String> gtrids(List<CommitRecord> records) {
        return records.stream().map(CommitRecord::gtrid).toList();
    }

    static List<String> gtrids(String prefix, int from, int to) {
        List<String> ids = new ArrayList<>();
        for (int i = from; i < to; i++) {
            ids.add(prefix + i);
        }
        return ids;
    }

    /** Segment files of a log directory, oldest first. */
    static List<Path> segments(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().matches("commit-\\d{20}\\.log")).sorted().toList();
        }
    }

    /** Segments that hold at least one frame. */
    static List<Path> nonEmptySegments(Path dir) throws IOException {
        List<Path> result = new ArrayList<>();
        for (Path segment : segments(dir)) {
            if (Files.size(segment) > HEADER_BYTES) {
                result.add(segment);
            }
        }
        return result;
    }

    /** Start offsets of the frames in a segment, found by walking the length fields. */
    static List<Integer> frameOffsets(Path segment) throws IOException {
        ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(segment));
        List<Integer> offsets = new ArrayList<>();
        int offset = HEADER_BYTES;
        while (offset + 8 <= data.limit()) {
            offsets.add(offset);
            offset += 8 + data.getInt(offset);
        }
        return offsets;
    }
}
