package io.quorumtx.recovery.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Byte-exact snapshots of a directory, to prove a command changed nothing. */
public final class LogFiles {
    private LogFiles() {
    }

    public static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                files.put(p.getFileName().toString(), java.util.HexFormat.of().formatHex(Files.readAllBytes(p)));
            }
        }
        return files;
    }

    /** The only segment file in {@code dir} that holds frames (the largest). */
    public static Path largestSegment(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().startsWith("commit-"))
                    .max((a, b) -> Long.compare(size(a), size(b))).orElseThrow();
        }
    }

    /** An intact END frame in the log's format (length, CRC-32C, type 2, gtrid). */
    public static byte[] endFrame(String gtrid) {
        byte[] id = gtrid.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer body = java.nio.ByteBuffer.allocate(1 + 4 + id.length).put((byte) 2).putInt(id.length).put(id);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(body.array());
        return java.nio.ByteBuffer.allocate(8 + body.capacity()).putInt(body.capacity()).putInt((int) crc.getValue())
                .put(body.array()).array();
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
