package io.quorumtx.tm.internal.io;


import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The exclusive lock on a log directory: an OS file lock on {@code <dir>/lock}, so two writers
 * can never interleave records in one log, whether they are two processes or two logs in one JVM.
 * The file itself is left in place on release: deleting it would race with the next opener.
 *
 * <p>The one piece of static state in the log, on purpose: OS file locks belong to the process
 * (POSIX {@code fcntl} locks), and closing <em>any</em> descriptor of the lock file releases them
 * for the whole process. So a second log in this JVM must be refused before it opens the file
 * at all: merely opening, failing {@code tryLock} and closing would silently unlock the first
 * log and let another process in. {@link #HELD_IN_THIS_JVM} mirrors that process-wide resource;
 * it holds no configuration and does not couple logs on different directories.
 *
 * <p>Shared by the local commit log and the Paxos acceptor's log. It reports a refusal through the
 * caller's {@link Failures} (both pass the commit log's "cannot open" exception), so it depends
 * on neither.
 */
public final class DirectoryLock implements AutoCloseable {
    public static final String FILE_NAME = "lock";
    private static final Set<Path> HELD_IN_THIS_JVM = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /** Makes the exception a refused or failed lock is reported with. */
    @FunctionalInterface
    public interface Failures {
        RuntimeException cannotOpen(String message, Throwable cause);
    }

    public static DirectoryLock acquire(Path directory, Failures failures) {
        Path file = directory.resolve(FILE_NAME);
        Path key = realPath(directory, failures);
        if (!HELD_IN_THIS_JVM.add(key)) {
            throw alreadyOpenHere(directory, file, null, failures);
        }
        try {
            return lock(directory, file, key, failures);
        } catch (RuntimeException e) {
            HELD_IN_THIS_JVM.remove(key);
            throw e;
        }
    }

    /**
     * Whether a log in this JVM holds {@code directory}'s lock. Readers that must not disturb it
     * ask this before touching the lock file: closing any descriptor of it here would release the
     * holder's process-wide lock.
     */
    public static boolean isHeldInThisJvm(Path directory) {
        try {
            return HELD_IN_THIS_JVM.contains(directory.toRealPath());
        } catch (IOException e) {
            return false;
        }
    }

    private static Path realPath(Path directory, Failures failures) {
        try {
            return directory.toRealPath();
        } catch (IOException e) {
            throw failures.cannotOpen("Cannot resolve commit log directory " + directory + ": " + e, e);
        }
    }

    private static RuntimeException alreadyOpenHere(Path directory, Path file, Throwable cause, Failures failures) {
        return failures.cannotOpen("Commit log directory " + directory + " is already open in this JVM"
                + " (lock file " + file + "). Close the other log first, or give this transaction manager"
                + " its own log directory.", cause);
    }

    private static DirectoryLock lock(Path directory, Path file, Path key, Failures failures) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw failures.cannotOpen("Cannot open the lock file " + file + " of commit log directory " + directory
                    + ": " + e + ". Check that the directory is writable by this process.", e);
        }
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                // Locked in this JVM by someone other than a LocalCommitLog.
                throw alreadyOpenHere(directory, file, e, failures);
            }
            if (lock == null) {
                throw failures.cannotOpen("Commit log directory " + directory + " is in use by another QuorumTX"
                        + " process (lock file " + file + holder(channel) + "). Stop that process, or give this"
                        + " transaction manager its own log directory.", null);
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n")
                    .getBytes(StandardCharsets.US_ASCII)), 0);
            return new DirectoryLock(key, channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            throw failures.cannotOpen("Cannot lock commit log directory " + directory + " (lock file " + file
                    + "): " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** ", held by pid N" from the holder's lock file, or nothing if it cannot be read. */
    private static String holder(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(64);
            channel.read(buffer, 0);
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
            return text.startsWith("pid ") ? ", held by " + text : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Already failing with a clearer error.
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            try {
                channel.close();
            } finally {
                HELD_IN_THIS_JVM.remove(key);
            }
        }
    }
}
