package io.quorumtx.tm.log.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opens a new segment file for writing. An interface only so tests can put a disk that fails on
 * demand under the writer; production uses {@link #DEFAULT}.
 */
@FunctionalInterface
public interface SegmentChannels {
    SegmentChannels DEFAULT = path -> FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

    FileChannel create(Path path) throws IOException;
}
