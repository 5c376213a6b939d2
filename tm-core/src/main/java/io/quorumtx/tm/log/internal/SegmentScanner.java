package io.quorumtx.tm.log.internal;

import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.OpenReport.Damage;
import io.quorumtx.tm.log.OpenReport.DamageKind;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * Reads one segment at open time, feeding every intact record to a sink and repairing what it can.
 *
 * <p>Where the frames end, the rest of the segment is either nothing or zeros (the writer
 * preallocates ahead of its records and trims the zeros when it closes a segment); a crash
 * leaves them, and they are trimmed silently. Zeros hold no record, so nothing is lost.
 *
 * <p>A bad frame (impossible length, short frame, CRC mismatch, unparsable payload) is handled by
 * looking for the next intact frame after it. If there is none, the bad bytes are a torn tail and
 * the file is truncated there (the design's "cut at the first bad frame"). If there is one, the
 * damage is not a torn write (writes are appended and forced in order, and a segment is forced
 * before the next one is created), so cutting would destroy COMMIT decisions that were durable
 * and acknowledged; the bad span is skipped instead and the file left untouched, and kept: the
 * segment is marked damaged and never deleted, even once every COMMIT read from it is finished,
 * since the skipped bytes may have held a COMMIT nobody can read any more. A chance CRC-32C
 * match inside garbage is about 2^-32 per offset, and the candidate must also parse exactly.
 */
public final class SegmentScanner {
    private final CRC32C crc = new CRC32C();

    /** Returns the number of intact records read; damage is added to {@code damages}. */
    public long scan(Segment segment, Consumer<LogEntry> sink, List<Damage> damages) throws IOException {
        long size = Files.size(segment.path);
        if (size > Integer.MAX_VALUE - 64) {
            throw CommitLogException.cannotOpen("Commit log segment " + segment.path + " is " + size
                    + " bytes, larger than any segment this log writes; move it out of the log directory");
        }
        if (size < FrameCodec.HEADER_BYTES) {
            Files.delete(segment.path);
            damages.add(new Damage(segment.path, 0, size, DamageKind.INCOMPLETE_HEADER));
            return -1;
        }
        ByteBuffer data = ByteBuffer.allocate((int) size);
        try (FileChannel channel = FileChannel.open(segment.path, StandardOpenOption.READ)) {
            while (data.hasRemaining() && channel.read(data) >= 0) {
                // read fully
            }
        }
        int limit = data.position();
        if (data.getInt(0) != FrameCodec.MAGIC && allZero(data, 8, limit)) {
            // Created, but the forced header never made it: no record can have been written to it.
            Files.delete(segment.path);
            damages.add(new Damage(segment.path, 0, size, DamageKind.INCOMPLETE_HEADER));
            return -1;
        }
        checkHeader(segment, data);
        long records = 0;
        int offset = FrameCodec.HEADER_BYTES;
        while (offset < limit) {
            LogEntry entry = FrameCodec.decodeFrame(data, offset, limit, crc);
            if (entry != null) {
                sink.accept(entry);
                records++;
                offset += FrameCodec.FRAME_OVERHEAD + data.getInt(offset);
                continue;
            }
            if (allZero(data, offset, limit)) {
                // Preallocated space the writer never reached (a crash before it trimmed the
                // segment): not damage, nothing was ever written there.
                truncate(segment, offset);
                break;
            }
            int next = nextIntactFrame(data, offset + 1, limit);
            if (next < 0) {
                truncate(segment, offset);
                damages.add(new Damage(segment.path, offset, limit - offset, DamageKind.TORN_TAIL));
                break;
            }
            damages.add(new Damage(segment.path, offset, next - offset, DamageKind.CORRUPT_FRAME_SKIPPED));
            segment.damaged = true; // never deleted: the skipped bytes may be a decision (see Segment#damaged)
            offset = next;
        }
        return records;
    }

    private static boolean allZero(ByteBuffer data, int from, int limit) {
        for (int i = from; i < limit; i++) {
            if (data.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private int nextIntactFrame(ByteBuffer data, int from, int limit) {
        for (int offset = from; offset <= limit - FrameCodec.FRAME_OVERHEAD - 1; offset++) {
            if (FrameCodec.decodeFrame(data, offset, limit, crc) != null) {
                return offset;
            }
        }
        return -1;
    }

    private static void checkHeader(Segment segment, ByteBuffer data) {
        int magic = data.getInt(0);
        int version = data.getInt(4);
        if (magic != FrameCodec.MAGIC) {
            throw CommitLogException.cannotOpen("File " + segment.path + " is not a QuorumTX commit log segment"
                    + " (bad magic number); move it out of the log directory");
        }
        if (version != FrameCodec.VERSION) {
            throw CommitLogException.cannotOpen("Commit log segment " + segment.path + " has format version " + version
                    + " but this QuorumTX reads version " + FrameCodec.VERSION
                    + "; open it with the QuorumTX version that wrote it");
        }
        long id = data.getLong(8);
        if (id != segment.id) {
            throw CommitLogException.cannotOpen("Commit log segment " + segment.path + " calls itself segment " + id
                    + "; it was renamed or copied from elsewhere. Move it out of the log directory");
        }
    }

    private static void truncate(Segment segment, long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(segment.path, StandardOpenOption.WRITE)) {
            channel.truncate(offset);
            channel.force(true);
        }
    }
}
