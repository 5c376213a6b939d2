package io.quorumtx.tm.log.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The open channel of the active segment: appends frames through one direct buffer and keeps
 * preallocated zeros ahead of them. Used only by the writer thread.
 *
 * <p>Why preallocate: a {@code force(false)} (fdatasync) after a write that grows a file must
 * also write the file's size to disk; a write into space that already exists does not, so
 * forces get cheaper. The space is extended in steps (at most 1 MiB) rather than a whole segment
 * at once, so no single batch waits for megabytes of zeros. Readers treat an all-zero tail as
 * unwritten space, and {@link #close} trims it so a closed segment is exactly its records.
 */
final class SegmentWriter {
    private static final Logger log = LoggerFactory.getLogger(SegmentWriter.class);
    private static final long PREALLOCATE_BYTES = 1024 * 1024;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 * 1024).asReadOnlyBuffer();

    private final FileChannel channel;
    private final ByteBuffer buffer;
    private final long preallocateBytes;
    private long size;
    private long allocated;
    private boolean dirty;

    private SegmentWriter(FileChannel channel, ByteBuffer buffer, long preallocateBytes) {
        this.channel = channel;
        this.buffer = buffer;
        this.preallocateBytes = preallocateBytes;
    }

    /**
     * Creates the segment file and forces its header, its first preallocated space and its
     * directory entry before any record goes in: then a crash can leave a segment short of
     * records, never a record in a segment that the directory does not know.
     */
    static SegmentWriter create(Path directory, Path path, long id, long segmentBytes, ByteBuffer buffer,
                                SegmentChannels channels) throws IOException {
        FileChannel channel = channels.create(path);
        SegmentWriter writer = new SegmentWriter(channel, buffer, Math.min(PREALLOCATE_BYTES, segmentBytes));
        try {
            writer.writeFully(FrameCodec.header(id));
            channel.force(true);
            forceDirectory(directory);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        writer.dirty = false;
        return writer;
    }

    /** Bytes of header and records written so far (not counting preallocated zeros). */
    long size() {
        return size;
    }

    /** True if bytes were written since the last force. */
    boolean dirty() {
        return dirty;
    }

    /** Starts a batch: frames are collected in the buffer until {@link #flush}. */
    void beginBatch() {
        buffer.clear();
    }

    void append(byte[] frame) throws IOException {
        if (frame.length > buffer.remaining()) {
            flush();
            if (frame.length > buffer.capacity()) {
                writeFully(ByteBuffer.wrap(frame));
                return;
            }
        }
        buffer.put(frame);
    }

    void flush() throws IOException {
        buffer.flip();
        writeFully(buffer);
        buffer.clear();
    }

    /**
     * Crash tests only: writes the first half of {@code frame} at the end of the records and forces
     * it, without counting it as written, so the next append writes the whole frame over it.
     */
    void writeTornAndForce(byte[] frame) throws IOException {
        int part = Math.max(1, frame.length / 2);
        if (size + part > allocated) {
            preallocate(Math.max(allocated + preallocateBytes, size + part));
        }
        ByteBuffer torn = ByteBuffer.wrap(frame, 0, part);
        long position = size;
        while (torn.hasRemaining()) {
            position += channel.write(torn, position);
        }
        channel.force(false);
    }

    void force() throws IOException {
        channel.force(false);
        dirty = false;
    }

    /** Closes the channel, first trimming the preallocated zeros unless the disk is not trusted. */
    void close(boolean trim) throws IOException {
        try {
            if (trim) {
                channel.truncate(size);
            }
        } finally {
            channel.close();
        }
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    private void writeFully(ByteBuffer bytes) throws IOException {
        if (!bytes.hasRemaining()) {
            return;
        }
        dirty = true;
        long end = size + bytes.remaining();
        if (end > allocated) {
            preallocate(Math.max(allocated + preallocateBytes, end));
        }
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
        size = end;
    }

    private void preallocate(long target) throws IOException {
        long position = allocated;
        while (position < target) {
            ByteBuffer zeros = ZEROS.duplicate();
            zeros.limit((int) Math.min(zeros.capacity(), target - position));
            position += channel.write(zeros, position);
        }
        allocated = target;
    }

    private static void forceDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some platforms (Windows) cannot open a directory; there the file system orders this for us.
            log.debug("Cannot force directory {}: {}", directory, e.toString());
        }
    }
}
