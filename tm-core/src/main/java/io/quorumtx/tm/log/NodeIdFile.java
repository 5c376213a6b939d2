package io.quorumtx.tm.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The file {@value #FILE_NAME} in a commit log directory: the id of the node whose decisions the
 * log holds. Written by the transaction manager the first time it opens the directory; read by
 * the recovery tool (to know whose branches it may decide) and by every later manager, which
 * refuses a directory recorded for another node: its COMMIT records belong to that node's
 * transactions, and a manager under another id would presume them aborted.
 *
 * <p>The content is the node id followed by a newline. Written to a temporary file, forced, and
 * renamed into place, so a crash leaves either no file or a complete one.
 */
public final class NodeIdFile {
    public static final String FILE_NAME = "node-id";

    private NodeIdFile() {
    }

    /** The node id recorded in {@code logDirectory}, or empty if none is recorded yet. */
    public static Optional<String> read(Path logDirectory) {
        Path file = logDirectory.resolve(FILE_NAME);
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (text.isEmpty()) {
                throw CommitLogException.cannotOpen("The node id file " + file + " is empty; write the id of the"
                        + " node that owns this commit log into it (one line)");
            }
            return Optional.of(text);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw CommitLogException.cannotOpen("Cannot read the node id file " + file + ": " + e, e);
        }
    }

    /**
     * Records {@code nodeId} in {@code logDirectory} if no id is recorded yet, or checks that the
     * recorded one is the same. The caller holds the directory (its commit log is open).
     *
     * @throws IllegalStateException if the directory belongs to another node
     */
    public static void claim(Path logDirectory, String nodeId) {
        Optional<String> recorded = read(logDirectory);
        if (recorded.isPresent()) {
            if (!recorded.get().equals(nodeId)) {
                throw new IllegalStateException("Commit log directory " + logDirectory + " belongs to node '"
                        + recorded.get() + "' (recorded in " + FILE_NAME + "), but this transaction manager is node '"
                        + nodeId + "'. Its COMMIT records decide node '" + recorded.get() + "''s transactions, so"
                        + " another node must not use it: start this manager with nodeId(\"" + recorded.get()
                        + "\"), or give node '" + nodeId + "' its own log directory");
            }
            return;
        }
        Path file = logDirectory.resolve(FILE_NAME);
        Path temp = logDirectory.resolve(FILE_NAME + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.wrap((nodeId + "\n").getBytes(StandardCharsets.US_ASCII));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                channel.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            forceDirectory(logDirectory);
        } catch (IOException e) {
            throw CommitLogException.cannotOpen("Cannot record node id '" + nodeId + "' in " + file + ": " + e, e);
        }
    }

    private static void forceDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory; the rename is then ordered by the file system.
        }
    }
}
