package io.quorumtx.tm.log;

import io.quorumtx.tm.internal.io.DirectoryLock;
import io.quorumtx.tm.log.internal.FrameCodec;
import io.quorumtx.tm.log.internal.LogEntry;
import io.quorumtx.tm.log.internal.LogIndex;
import io.quorumtx.tm.log.internal.Segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Objects;
import java.util.Optional;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A read-only view of a {@link LocalCommitLog} directory: every frame, every piece of damage,
 * and what is still unfinished, for the recovery tool's {@code log dump}, {@code log verify} and
 * {@code scan}.
 *
 * <p><b>Why not open the log.</b> {@link LocalCommitLog#open} takes the directory's lock, cuts
 * torn tails, deletes incomplete segments and starts a new segment. An operator inspecting a log
 * must change nothing, and must be able to look at the log of a node that is running. So this
 * class never writes, never truncates, never deletes and never takes the lock: it opens segment
 * files for reading only, decodes them with the log's own {@code FrameCodec}, and rebuilds the
 * unfinished commits with the log's own {@code LogIndex}, so its answers are those the log would
 * give on open. Damage is classified as open would act on it, without acting.
 *
 * <p><b>Reading a running log.</b> The writer may append, roll over and delete segments while
 * this reads. A segment deleted before it is read held nothing unfinished and is skipped; the
 * newest segment may end in a frame that is still being written, which then reads as a torn tail
 * ({@link #probablyRunning()} tells the reader when to take that with a grain of salt). Decisions
 * taken after the read are not seen: a snapshot, not a live view.
 */
public final class LogInspection {

    /** The file in which the transaction manager records the node id that owns the log. */
    public static final String NODE_ID_FILE = NodeIdFile.FILE_NAME;

    private final Path directory;
    private final Optional<String> nodeId;
    private final boolean probablyRunning;
    private final List<SegmentInfo> segments;
    private final List<Frame> frames;
    private final List<Problem> problems;
    private final List<CommitRecord> unfinished;
    private final LogIndex index;

    private LogInspection(Path directory, Optional<String> nodeId, boolean probablyRunning, List<SegmentInfo> segments,
                          List<Frame> frames, List<Problem> problems, LogIndex index) {
        this.directory = directory;
        this.nodeId = nodeId;
        this.probablyRunning = probablyRunning;
        this.segments = List.copyOf(segments);
        this.frames = List.copyOf(frames);
        this.problems = List.copyOf(problems);
        this.index = index;
        this.unfinished = index.unfinished();
    }

    /** What kind of frame a record is. */
    public enum FrameType { COMMIT, END, BRANCH_DONE }

    /**
     * One intact record. For an END, {@code branches} is empty and {@code decidedAtMillis} is -1;
     * for a BRANCH_DONE, {@code branches} holds the one finished branch and {@code decidedAtMillis} is -1.
     * {@code bytes} is the whole frame including its 8-byte length and CRC.
     */
    public record Frame(Path segment, long offset, int bytes, FrameType type, String gtrid,
                        List<BranchRecord> branches, long decidedAtMillis) {
        public Frame {
            branches = List.copyOf(branches);
        }
    }

    /** One segment file as read: its id, size and the number of intact frames in it. */
    public record SegmentInfo(Path file, long id, long bytes, long frames) {
    }

    /** How a damaged span would be treated by {@link LocalCommitLog#open}. */
    public enum ProblemKind {
        /** Bad bytes to the end of a segment: open cuts them (a write torn by a crash). */
        TORN_TAIL,
        /** A bad frame followed by intact ones: open skips it; a COMMIT decision may be lost. */
        CORRUPT_FRAME,
        /** A segment without a complete header and without records: open deletes it. */
        INCOMPLETE_HEADER,
        /** Not a segment of this format (bad magic, version or id): open refuses the directory. */
        BAD_HEADER
    }

    /** One damaged span, with a description an operator can act on. */
    public record Problem(Path segment, long offset, long bytes, ProblemKind kind, String description) {
        /** Whether a committed decision may have been lost or the log cannot be opened at all. */
        public boolean serious() {
            return kind == ProblemKind.CORRUPT_FRAME || kind == ProblemKind.BAD_HEADER;
        }
    }

    /**
     * Reads every segment of the log in {@code directory}.
     *
     * @throws CommitLogException if the directory does not exist, is not a directory, or cannot be
     *     read; damage inside segments is reported through {@link #problems()}, not thrown
     */
    public static LogInspection read(Path directory) {
        Objects.requireNonNull(directory, "directory");
        Path dir = directory.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw CommitLogException.cannotOpen("Commit log directory " + dir + (Files.exists(dir)
                    ? " is not a directory" : " does not exist") + "; check the path");
        }
        try {
            Optional<String> nodeId = NodeIdFile.read(dir);
            boolean running = lockedByAnotherOwner(dir);
            LogIndex index = new LogIndex();
            List<SegmentInfo> segments = new ArrayList<>();
            List<Frame> frames = new ArrayList<>();
            List<Problem> problems = new ArrayList<>();
            long lastRead = Long.MIN_VALUE;
            // Listed twice: a running writer may have rolled over to a new segment meanwhile.
            for (int pass = 0; pass < 2; pass++) {
                for (var file : segmentFiles(dir).tailMap(lastRead, false).entrySet()) {
                    Segment segment = new Segment(file.getKey(), file.getValue());
                    index.addSegment(segment);
                    readSegment(segment, index, segments, frames, problems);
                    lastRead = file.getKey();
                }
            }
            return new LogInspection(dir, nodeId, running, segments, frames, problems, index);
        } catch (IOException e) {
            throw CommitLogException.cannotOpen("Cannot read commit log directory " + dir + ": " + e, e);
        }
    }

    public Path directory() {
        return directory;
    }

    /** The node id recorded in the directory's {@value #NODE_ID_FILE} file, if there is one. */
    public Optional<String> nodeId() {
        return nodeId;
    }

    /**
     * True if, when this was read, another process (or a log in this JVM) held the directory's
     * lock: its node is running, and its own recovery manager owns the unfinished work.
     */
    public boolean probablyRunning() {
        return probablyRunning;
    }

    public List<SegmentInfo> segments() {
        return segments;
    }

    /** Every intact frame, in log order (segment by segment, by offset). */
    public List<Frame> frames() {
        return frames;
    }

    /** Every damaged span; empty for a clean log. */
    public List<Problem> problems() {
        return problems;
    }

    public boolean clean() {
        return problems.isEmpty();
    }

    /** Every COMMIT without an END, oldest decision first, as the log would report it on open. */
    public List<CommitRecord> unfinished() {
        return unfinished;
    }

    /** COMMIT while an unfinished COMMIT is held for {@code gtrid}, otherwise UNKNOWN (as {@link CommitLog#decision}). */
    public Decision decision(String gtrid) {
        return index.decision(gtrid);
    }

    /**
     * The branches of the unfinished commit {@code gtrid} that recovery recorded as finished
     * (BRANCH_DONE); empty if none or if the commit is not unfinished.
     */
    public Set<BranchRecord> finishedBranches(String gtrid) {
        return index.doneBranches(gtrid);
    }

    /** As {@link CommitLog#isBranchDone}. */
    public boolean isBranchDone(String gtrid, BranchRecord branch) {
        return index.isBranchDone(gtrid, branch);
    }

    private static void readSegment(Segment segment, LogIndex index, List<SegmentInfo> segments, List<Frame> frames,
                                    List<Problem> problems) throws IOException {
        Path path = segment.path();
        ByteBuffer data;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE - 64) {
                problems.add(new Problem(path, 0, size, ProblemKind.BAD_HEADER, path + " is " + size
                        + " bytes, larger than any segment the log writes; the log cannot be opened with it"));
                return;
            }
            data = ByteBuffer.allocate((int) size);
            while (data.hasRemaining() && channel.read(data) >= 0) {
                // read fully
            }
        } catch (NoSuchFileException e) {
            return; // deleted by a running writer: every commit in it was finished
        }
        int limit = data.position();
        if (limit < FrameCodec.HEADER_BYTES || (data.getInt(0) != FrameCodec.MAGIC && allZero(data, 8, limit))) {
            problems.add(new Problem(path, 0, limit, ProblemKind.INCOMPLETE_HEADER, "incomplete segment " + path
                    + " (" + limit + " bytes, no complete header, no records); opening the log deletes it"));
            segments.add(new SegmentInfo(path, segment.id(), limit, 0));
            return;
        }
        String headerProblem = headerProblem(segment, data);
        if (headerProblem != null) {
            problems.add(new Problem(path, 0, FrameCodec.HEADER_BYTES, ProblemKind.BAD_HEADER, headerProblem));
            segments.add(new SegmentInfo(path, segment.id(), limit, 0));
            return;
        }
        CRC32C crc = new CRC32C();
        long count = 0;
        int offset = FrameCodec.HEADER_BYTES;
        while (offset < limit) {
            LogEntry entry = FrameCodec.decodeFrame(data, offset, limit, crc);
            if (entry != null) {
                int bytes = FrameCodec.FRAME_OVERHEAD + data.getInt(offset);
                frames.add(frame(path, offset, bytes, entry));
                if (entry instanceof LogEntry.Commit commit) {
                    index.applyCommit(commit.record(), segment);
                } else if (entry instanceof LogEntry.BranchDone done) {
                    index.applyBranchDone(done.gtrid(), done.branch(), segment);
                } else {
                    index.applyEnd(entry.gtrid(), segment);
                }
                count++;
                offset += bytes;
                continue;
            }
            if (allZero(data, offset, limit)) {
                break; // preallocated space the writer has not reached: not damage
            }
            int next = nextIntactFrame(data, offset + 1, limit, crc);
            if (next < 0) {
                problems.add(new Problem(path, offset, limit - offset, ProblemKind.TORN_TAIL, "torn tail in " + path
                        + " at offset " + offset + ": " + (limit - offset) + " bytes that are not an intact frame;"
                        + " opening the log cuts them (an append interrupted by a crash)"));
                break;
            }
            problems.add(new Problem(path, offset, next - offset, ProblemKind.CORRUPT_FRAME, "corrupt frame in " + path
                    + " at offset " + offset + ": " + (next - offset) + " bytes that are not an intact frame, with"
                    + " intact frames after them; a COMMIT decision may have been lost there"));
            offset = next;
        }
        segments.add(new SegmentInfo(path, segment.id(), limit, count));
    }

    private static Frame frame(Path path, int offset, int bytes, LogEntry entry) {
        if (entry instanceof LogEntry.Commit commit) {
            CommitRecord r = commit.record();
            return new Frame(path, offset, bytes, FrameType.COMMIT, r.gtrid(), r.branches(), r.decidedAtMillis());
        }
        if (entry instanceof LogEntry.BranchDone done) {
            return new Frame(path, offset, bytes, FrameType.BRANCH_DONE, done.gtrid(), List.of(done.branch()), -1);
        }
        return new Frame(path, offset, bytes, FrameType.END, entry.gtrid(), List.of(), -1);
    }

    private static String headerProblem(Segment segment, ByteBuffer data) {
        Path path = segment.path();
        if (data.getInt(0) != FrameCodec.MAGIC) {
            return path + " is not a QuorumTX commit log segment (bad magic number); move it out of the log directory";
        }
        int version = data.getInt(4);
        if (version != FrameCodec.VERSION) {
            return path + " has format version " + version + " but this QuorumTX reads version "
                    + FrameCodec.VERSION + "; inspect it with the QuorumTX version that wrote it";
        }
        long id = data.getLong(8);
        if (id != segment.id()) {
            return path + " calls itself segment " + id + "; it was renamed or copied from elsewhere";
        }
        return null;
    }

    private static boolean allZero(ByteBuffer data, int from, int limit) {
        for (int i = from; i < limit; i++) {
            if (data.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static int nextIntactFrame(ByteBuffer data, int from, int limit, CRC32C crc) {
        for (int offset = from; offset <= limit - FrameCodec.FRAME_OVERHEAD - 1; offset++) {
            if (FrameCodec.decodeFrame(data, offset, limit, crc) != null) {
                return offset;
            }
        }
        return -1;
    }

    private static NavigableMap<Long, Path> segmentFiles(Path dir) throws IOException {
        TreeMap<Long, Path> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            list.forEach(path -> {
                long id = Segment.idOf(path.getFileName().toString());
                if (id >= 0 && Files.isRegularFile(path)) {
                    files.put(id, path);
                }
            });
        }
        return files;
    }

    /**
     * Whether someone holds the directory's lock, asked without disturbing the holder: a log in
     * this JVM is seen through {@link DirectoryLock#isHeldInThisJvm} (opening and closing the lock
     * file here would drop that log's process-wide lock); another process through a shared lock
     * attempt on a read-only channel, released at once and never written.
     */
    private static boolean lockedByAnotherOwner(Path dir) throws IOException {
        Path file = dir.resolve(DirectoryLock.FILE_NAME);
        if (!Files.exists(file)) {
            return false;
        }
        if (DirectoryLock.isHeldInThisJvm(dir)) {
            return true;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            FileLock lock = channel.tryLock(0, Long.MAX_VALUE, true);
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true;
        }
    }
}
