package io.quorumtx.tm.paxos;

import io.quorumtx.tm.internal.io.DirectoryLock;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.NodeIdFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An acceptor's durable state: one append-only file of {@link AcceptorRecords} frames in a data
 * directory the acceptor holds by file lock and that records its node id. Used by the acceptor's
 * one thread only: it appends the records of a whole batch, forces once, and only then answers.
 *
 * <p>Opening replays the file. A frame that is incomplete or fails its CRC with nothing intact
 * after it is a torn tail (the process died during a write that was never acknowledged): it is
 * cut off with a warning. A bad frame followed by intact ones is corruption: the acceptor may have
 * lost a promise or an accepted value it answered for, so it refuses to start with an error
 * naming the file and offset, and changes nothing.
 *
 * <p>Compaction rewrites the live state into {@code acceptor-(n+1).log} (written as a temporary
 * file, forced, renamed, directory forced) and deletes the old file; at open, leftover
 * temporary files are deleted and only the newest file is used.
 */
final class AcceptorLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AcceptorLog.class);
    private static final int MAGIC = 0x51545841; // "QTXA"
    private static final int VERSION = 1;
    private static final int HEADER_BYTES = 16;
    private static final Pattern FILE = Pattern.compile("acceptor-(\\d{12})\\.log");
    /**
     * The file is extended with zeros this much at a time, ahead of the records, so a force after
     * an append flushes data only: the file's size (metadata, a journal commit) changes once per
     * extension, not once per force. Zeros read as the end of the records.
     */
    private static final int PREALLOCATE_BYTES = 1024 * 1024;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 * 1024).asReadOnlyBuffer();

    private final Path directory;
    private final DirectoryLock lock;
    private FileChannel channel;
    private long generation;
    private long size;
    private long allocated;
    private final List<AcceptorRecord> replayed;
    private final String openReport;

    private AcceptorLog(Path directory, DirectoryLock lock, FileChannel channel, long generation, long size,
                        List<AcceptorRecord> replayed, String openReport) {
        this.directory = directory;
        this.lock = lock;
        this.channel = channel;
        this.generation = generation;
        this.size = size;
        this.allocated = size;
        this.replayed = replayed;
        this.openReport = openReport;
    }

    /**
     * Opens the existing acceptor data directory of node {@code nodeId} (an ordinary restart,
     * {@link StartMode#RESTART}): refused if the directory or its acceptor file is missing, since an
     * acceptor that forgot its votes must not vote again (see {@link StartMode}).
     *
     * @throws CommitLogException naming the problem: missing, held by another process, belongs to
     *     another node, corrupt, unreadable
     */
    public static AcceptorLog open(Path directory, String nodeId) {
        if (!Files.isDirectory(directory) || newestFileIfAny(directory) == null) {
            throw CommitLogException.cannotOpen("The Paxos acceptor directory " + directory + " of node " + nodeId + " "
                    + (Files.isDirectory(directory) ? "holds no acceptor file" : "does not exist") + ", so an ordinary"
                    + " start (StartMode.RESTART) is refused: an acceptor that forgot what it promised and accepted"
                    + " must not vote again. If this member is part of a new cluster, start it once with"
                    + " StartMode.BOOTSTRAP; if its disk was lost or replaced, start it with StartMode.REJOIN (it then"
                    + " leaves the transactions begun before it rejoined to the other members). If the directory was"
                    + " moved, point dataDirectory at it");
        }
        return openExisting(directory, nodeId);
    }

    /**
     * Creates the acceptor directory of a new cluster's member ({@link StartMode#BOOTSTRAP}).
     *
     * @throws CommitLogException if the directory already holds an acceptor file
     */
    public static AcceptorLog bootstrap(Path directory, String nodeId) {
        return create(directory, nodeId, StartMode.BOOTSTRAP, List.of());
    }

    /**
     * Creates the acceptor directory of a member whose disk was lost ({@link StartMode#REJOIN}); its
     * first file holds {@code fence}, written and forced before the file gets its name, so a crash
     * leaves either no acceptor file (rejoin again) or the fenced one, never an unfenced empty one.
     *
     * @throws CommitLogException if the directory still holds an acceptor file
     */
    public static AcceptorLog rejoin(Path directory, String nodeId, AcceptorRecord.Rejoined fence) {
        return create(directory, nodeId, StartMode.REJOIN, List.of(fence));
    }

    private static AcceptorLog create(Path directory, String nodeId, StartMode mode, List<AcceptorRecord> initial) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw CommitLogException.cannotOpen("Cannot create the Paxos acceptor directory "
                    + directory + ": " + e, e);
        }
        DirectoryLock lock = DirectoryLock.acquire(directory,
                CommitLogException::cannotOpen);
        try {
            deleteTemporaryFiles(directory);
            Path existing = newestFile(directory);
            if (existing != null) {
                throw CommitLogException.cannotOpen("The Paxos acceptor directory " + directory + " already holds "
                        + existing.getFileName() + ", so StartMode." + mode + " is refused (" + (mode == StartMode.REJOIN
                        ? "rejoining would discard promises and accepted values this member answered for"
                        : "this member was bootstrapped already") + "). Start it with StartMode.RESTART; to replace a"
                        + " lost disk, first make sure the directory is really empty");
            }
            NodeIdFile.claim(directory, nodeId);
            Path temp = directory.resolve(fileName(1) + ".tmp");
            try (FileChannel ch = createWithHeader(temp, 1)) {
                ch.position(HEADER_BYTES);
                write(ch, initial.stream().map(AcceptorRecords::encode).toList());
                ch.force(true);
            }
            Files.move(temp, directory.resolve(fileName(1)), StandardCopyOption.ATOMIC_MOVE);
            forceDirectory(directory);
            return openLocked(directory, lock);
        } catch (IOException e) {
            closeQuietly(lock);
            throw CommitLogException.cannotOpen("Cannot create the Paxos acceptor directory "
                    + directory + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(lock);
            throw e;
        }
    }

    private static AcceptorLog openExisting(Path directory, String nodeId) {
        DirectoryLock lock = DirectoryLock.acquire(directory,
                CommitLogException::cannotOpen);
        try {
            NodeIdFile.claim(directory, nodeId);
            return openLocked(directory, lock);
        } catch (RuntimeException e) {
            closeQuietly(lock);
            throw e;
        }
    }

    /**
     * Reads the records of an acceptor directory without opening it for writing (the recovery
     * tool, offline). The caller must hold the directory or know its node is stopped.
     */
    public static List<AcceptorRecord> read(Path directory) {
        Path file = newestFile(directory);
        if (file == null) {
            return List.of();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return scan(file, ch, Access.READ_ONLY).records();
        } catch (IOException e) {
            throw CommitLogException.cannotOpen("Cannot read Paxos acceptor file " + file + ": " + e, e);
        }
    }

    private static AcceptorLog openLocked(Path directory, DirectoryLock lock) {
        try {
            deleteTemporaryFiles(directory);
            Path file = newestFile(directory);
            if (file == null) {
                throw CommitLogException.cannotOpen("The Paxos acceptor directory " + directory + " holds no"
                        + " acceptor file (it was deleted while starting?); nothing was changed");
            }
            long generation = generationOf(file);
            deleteOlderFiles(directory, generation);
            FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                AcceptorRecords.Decoded decoded = scan(file, ch, Access.OPEN_FOR_WRITING);
                String report = decoded.records().size() + " record(s) from " + file.getFileName();
                if (decoded.end() < ch.size() && !allZeroTail(ch, decoded.end())) {
                    long dropped = ch.size() - decoded.end();
                    ch.truncate(decoded.end());
                    ch.force(true);
                    report += "; torn tail of " + dropped + " byte(s) cut at offset " + decoded.end();
                    LOG.warn("Paxos acceptor file {}: torn tail cut at offset {}, {} byte(s) dropped (a write that was"
                            + " never acknowledged)", file, decoded.end(), dropped);
                }
                AcceptorLog log = new AcceptorLog(directory, lock, ch, generation, decoded.end(), decoded.records(),
                        report);
                log.allocated = Math.max(decoded.end(), ch.size());
                return log;
            } catch (RuntimeException | IOException e) {
                ch.close();
                throw e;
            }
        } catch (IOException e) {
            throw CommitLogException.cannotOpen("Cannot open the Paxos acceptor directory " + directory + ": " + e, e);
        }
    }

    /** The records found at open, in order: replay them into a fresh {@link AcceptorState}. */
    public List<AcceptorRecord> replayed() {
        return replayed;
    }

    /** What open found (records, any torn tail cut), for the startup log line. */
    public String openReport() {
        return openReport;
    }

    public long size() {
        return size;
    }

    public Path directory() {
        return directory;
    }

    /** Writes the frames (not yet forced) after the last record, into preallocated space. */
    public void append(List<byte[]> frames) throws IOException {
        int total = 0;
        for (byte[] f : frames) {
            total += f.length;
        }
        if (size + total > allocated) {
            preallocate(size + total);
        }
        ByteBuffer buffer = ByteBuffer.allocate(total);
        for (byte[] f : frames) {
            buffer.put(f);
        }
        buffer.flip();
        long at = size;
        while (buffer.hasRemaining()) {
            at += channel.write(buffer, at);
        }
        size += total;
    }

    /** Extends the file with zeros past {@code needed} and makes the new size durable (once per megabyte). */
    private void preallocate(long needed) throws IOException {
        long target = Math.max(needed, allocated) + PREALLOCATE_BYTES;
        long at = allocated;
        while (at < target) {
            ByteBuffer zeros = ZEROS.duplicate();
            zeros.limit((int) Math.min(zeros.capacity(), target - at));
            at += channel.write(zeros, at);
        }
        channel.force(true);
        allocated = target;
    }

    /** Forces everything appended so far to the device. */
    public void force() throws IOException {
        channel.force(false);
    }

    /**
     * Replaces the file with one holding exactly {@code live} (the records that recreate the
     * current state), durably, before the old file is deleted.
     */
    public void compact(Collection<AcceptorRecord> live) throws IOException {
        long next = generation + 1;
        Path temp = directory.resolve(fileName(next) + ".tmp");
        Path target = directory.resolve(fileName(next));
        long newSize;
        try (FileChannel ch = createWithHeader(temp, next)) {
            ch.position(HEADER_BYTES);
            List<byte[]> frames = new ArrayList<>(Math.min(live.size(), 4096));
            long written = HEADER_BYTES;
            for (AcceptorRecord r : live) {
                frames.add(AcceptorRecords.encode(r));
                if (frames.size() == 4096) {
                    written += write(ch, frames);
                    frames.clear();
                }
            }
            written += write(ch, frames);
            ch.force(true);
            newSize = written;
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(directory);
        Path old = directory.resolve(fileName(generation));
        channel.close();
        channel = FileChannel.open(target, StandardOpenOption.READ, StandardOpenOption.WRITE);
        generation = next;
        size = newSize;
        allocated = newSize;
        Files.deleteIfExists(old);
        LOG.debug("Compacted Paxos acceptor file into {} ({} live records)", target, live.size());
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("Closing Paxos acceptor file in {} failed: {}", directory, e.toString());
        }
        closeQuietly(lock);
    }

    private static long write(FileChannel ch, List<byte[]> frames) throws IOException {
        long n = 0;
        for (byte[] f : frames) {
            ByteBuffer b = ByteBuffer.wrap(f);
            while (b.hasRemaining()) {
                n += ch.write(b);
            }
        }
        return n;
    }

    /** How a scan holds the file: only one opened for writing may get the header it never wrote. */
    private enum Access { READ_ONLY, OPEN_FOR_WRITING }

    private static AcceptorRecords.Decoded scan(Path file, FileChannel ch, Access access) throws IOException {
        long length = ch.size();
        if (length > Integer.MAX_VALUE) {
            throw CommitLogException.cannotOpen("Paxos acceptor file " + file + " is larger than 2 GiB; it is not"
                    + " one this version wrote");
        }
        ByteBuffer data = ByteBuffer.allocate((int) length);
        while (data.hasRemaining() && ch.read(data, data.position()) > 0) {
            // read fully
        }
        data.flip();
        if (length < HEADER_BYTES || data.getInt(0) != MAGIC || data.getInt(4) != VERSION) {
            if (access == Access.OPEN_FOR_WRITING && length < HEADER_BYTES && allZero(data, 0, (int) length)) {
                // created but its header never reached the disk: nothing was ever acknowledged from it
                ch.truncate(0);
                ch.write(header(generationOf(file)), 0);
                ch.force(true);
                return new AcceptorRecords.Decoded(List.of(), HEADER_BYTES);
            }
            throw CommitLogException.cannotOpen("Paxos acceptor file " + file + " does not start with a QuorumTX"
                    + " acceptor header (magic QTXA, version " + VERSION + "): it is not an acceptor file, or it is"
                    + " damaged."
                    + " Nothing was changed");
        }
        AcceptorRecords.Decoded decoded = AcceptorRecords.decode(data, HEADER_BYTES, (int) length);
        int end = decoded.end();
        if (end < length && !allZero(data, end, (int) length)) {
            int intactAfter = firstIntactFrameAfter(data, end, (int) length);
            if (intactAfter >= 0) {
                throw CommitLogException.cannotOpen("Paxos acceptor file " + file + " is corrupt at offset " + end
                        + " (an intact record follows at offset " + intactAfter + ", so this is not a torn last write)."
                        + " This acceptor may have lost a promise or an accepted value it answered for, so it refuses"
                        + " to start; nothing was changed. Restore the directory from a backup, or, if a majority of the"
                        + " other acceptors is intact, move it away and start this member with StartMode.REJOIN"
                        + " (it then leaves every transaction begun before it rejoined to the other members)");
            }
        }
        return decoded;
    }

    private static boolean allZeroTail(FileChannel ch, long from) throws IOException {
        ByteBuffer rest = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE, ch.size() - from));
        while (rest.hasRemaining() && ch.read(rest, from + rest.position()) > 0) {
            // read fully
        }
        return allZero(rest.flip(), 0, rest.limit());
    }

    private static int firstIntactFrameAfter(ByteBuffer data, int from, int limit) {
        for (int at = from + 1; at < limit - 8; at++) {
            AcceptorRecords.Decoded d = AcceptorRecords.decode(data, at, limit);
            if (!d.records().isEmpty()) {
                return at;
            }
        }
        return -1;
    }

    private static boolean allZero(ByteBuffer data, int from, int limit) {
        for (int i = from; i < limit; i++) {
            if (data.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static FileChannel createWithHeader(Path file, long generation) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        ch.write(header(generation));
        ch.force(true);
        return ch;
    }

    private static ByteBuffer header(long generation) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.putInt(MAGIC).putInt(VERSION).putLong(generation).flip();
        return header;
    }

    static String fileName(long generation) {
        return String.format("acceptor-%012d.log", generation);
    }

    private static long generationOf(Path file) {
        Matcher m = FILE.matcher(file.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException("not an acceptor file: " + file);
        }
        return Long.parseLong(m.group(1));
    }

    private static Path newestFileIfAny(Path directory) {
        try {
            return newestFile(directory);
        } catch (CommitLogException e) {
            return null;
        }
    }

    private static Path newestFile(Path directory) {
        Path newest = null;
        long best = -1;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "acceptor-*.log")) {
            for (Path f : files) {
                Matcher m = FILE.matcher(f.getFileName().toString());
                if (m.matches() && Long.parseLong(m.group(1)) > best) {
                    best = Long.parseLong(m.group(1));
                    newest = f;
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw CommitLogException.cannotOpen("Paxos acceptor directory " + directory + " does not exist", e);
        } catch (IOException e) {
            throw CommitLogException.cannotOpen("Cannot list Paxos acceptor directory " + directory + ": " + e, e);
        }
        return newest;
    }

    private static void deleteOlderFiles(Path directory, long generation) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "acceptor-*.log")) {
            for (Path f : files) {
                Matcher m = FILE.matcher(f.getFileName().toString());
                if (m.matches() && Long.parseLong(m.group(1)) < generation) {
                    Files.deleteIfExists(f); // a compaction finished (renamed) but died before deleting it
                }
            }
        }
    }

    private static void deleteTemporaryFiles(Path directory) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "acceptor-*.log.tmp")) {
            for (Path f : files) {
                Files.deleteIfExists(f); // a compaction that never reached its rename
            }
        }
    }

    private static void forceDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            LOG.debug("Cannot force directory {}: {}", directory, e.toString());
        }
    }

    private static void closeQuietly(DirectoryLock lock) {
        try {
            lock.close();
        } catch (IOException e) {
            LOG.warn("Releasing the lock of a Paxos acceptor directory failed: {}", e.toString());
        }
    }
}
