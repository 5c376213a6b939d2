package io.quorumtx.it.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts the complete lines of growing log files that contain a text, reading each byte once: the
 * nemesis polls the members' logs every 100 ms for as long as a campaign runs, and the logs grow.
 */
final class LineCounter {
    private final byte[] text;
    private final Map<Path, Long> consumed = new HashMap<>();
    private long count;

    LineCounter(String text) {
        this.text = text.getBytes(StandardCharsets.UTF_8);
    }

    /** The lines seen so far in {@code files} that contain the text. */
    long count(List<Path> files) {
        for (Path f : files) {
            if (Files.exists(f)) {
                read(f);
            }
        }
        return count;
    }

    private void read(Path f) {
        long from = consumed.getOrDefault(f, 0L);
        try (FileChannel channel = FileChannel.open(f)) {
            long size = channel.size();
            if (size <= from) {
                return;
            }
            ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(size - from));
            while (buffer.hasRemaining() && channel.read(buffer, from + buffer.position()) > 0) {
                // read what is there now
            }
            byte[] bytes = buffer.array();
            int end = buffer.position();
            int lineStart = 0;
            for (int i = 0; i < end; i++) {
                if (bytes[i] == '\n') {
                    if (contains(bytes, lineStart, i)) {
                        count++;
                    }
                    lineStart = i + 1;
                }
            }
            consumed.put(f, from + lineStart); // an unfinished last line is read again next time
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private boolean contains(byte[] bytes, int from, int to) {
        outer:
        for (int i = from; i + text.length <= to; i++) {
            for (int k = 0; k < text.length; k++) {
                if (bytes[i + k] != text[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
