package io.quorumtx.tm.log;

import io.quorumtx.tm.internal.io.DirectoryLock;
import io.quorumtx.tm.log.OpenReport.Damage;
import io.quorumtx.tm.log.internal.GroupCommitWriter;
import io.quorumtx.tm.log.internal.LogEntry;
import io.quorumtx.tm.log.internal.LogIndex;
import io.quorumtx.tm.log.internal.Segment;
import io.quorumtx.tm.log.internal.SegmentChannels;
import io.quorumtx.tm.log.internal.SegmentScanner;
import io.quorumtx.tm.testing.TornAppendHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The embedded commit log: append-only segment files in one directory, written by one thread
 * with group commit.
 *
 * <p><b>Why this shape.</b> The COMMIT record is the commit point of every two-phase commit, so
 * its force is on every transaction's critical path. One writer thread owns the file and forces
 * once per batch of waiting committers ({@link GroupCommitWriter}), so throughput grows with
 * concurrency instead of stopping at one fsync per transaction. ENDs are not forced: a lost END
 * only makes recovery re-drive a finished commit. Off the commit path, recovery writes forced
 * BRANCH_DONE records and a forced END ({@link CommitLog#logBranchDone}).
 *
 * <p><b>Files.</b> {@code commit-<20-digit id>.log} segments (format in {@code FrameCodec}: a
 * 16-byte header, then frames {@code [length][CRC-32C][type][payload]}) and a {@code lock} file.
 * Every open starts a new segment, so nothing is ever appended behind a repaired tail; the
 * writer preallocates space with zeros ahead of its records (cheaper forces) and rolls to a new one when the active segment
 * exceeds {@link Options#segmentBytes()}. A segment is deleted once every COMMIT in it has its
 * END and none of its ENDs still refers to a COMMIT kept in an older segment (an END may land in
 * a later segment than its COMMIT; deleting it first would resurrect the commit on reopen). An
 * unfinished commit therefore keeps its own segment alive, and the segments after it that hold
 * ENDs of its neighbours, until the next roll-over carries it forward: unfinished
 * commits of segments older than the one just closed are copied into the new segment, so the
 * number of segments on disk stays small however long a participant stays unreachable.
 *
 * <p><b>Damage on open.</b> Every segment is read in full. A bad frame with nothing intact after
 * it in its segment is a torn tail: the file is truncated at the first bad frame and the cut is
 * reported. A bad frame followed by intact frames is not a torn write of acknowledged data
 * (segments are appended and forced in order; at most the last, never-forced batch can reach the
 * disk out of order, and its intact commits are safe to keep: all their branches had prepared).
 * Cutting there would silently discard COMMIT decisions that were acknowledged: those would then
 * be presumed aborted while some of their branches may have committed. So the bad span is skipped, the rest of the segment and every later segment are
 * read, the file is left untouched for inspection (and never deleted by the clean-up, however
 * finished its readable records are), and the damage is reported as an error
 * ({@link OpenReport.DamageKind#CORRUPT_FRAME_SKIPPED}). Either way, nothing in a later segment is
 * ever dropped. See {@link #openReport()}.
 *
 * <p><b>Decisions.</b> {@link #decision} is COMMIT while a forced COMMIT has no END. Once its END
 * is logged it is UNKNOWN: under presumed abort a finished transaction has no prepared branch
 * left, so the answer can no longer matter, and a reopened log would have forgotten it anyway.
 *
 * <p><b>Failures.</b> Fail-stop: after a failed write or force the commits of that batch get
 * {@link CommitLogException#inDoubt} and every later commit gets
 * {@link CommitLogException#notWritten}, with a message naming the directory and the cause. A closed
 * log also refuses with {@code notWritten}. {@link #logEnd} never throws for
 * either: ENDs are advisory.
 *
 * <p>Thread-safe, and two logs on two directories in one JVM are independent. A second log on
 * the same directory, in this JVM or another process, is refused by a file lock (the one static
 * structure, a set of directories locked by this JVM, mirrors the process-wide OS locks; see
 * {@code DirectoryLock}).
 */
public final class LocalCommitLog implements CommitLog {
    private static final Logger log = LoggerFactory.getLogger(LocalCommitLog.class);

    private final Path directory;
    private final DirectoryLock lock;
    private final LogIndex index;
    private final GroupCommitWriter writer;
    private final OpenReport openReport;
    private boolean closed;

    private LocalCommitLog(Path directory, DirectoryLock lock, LogIndex index, GroupCommitWriter writer,
                           OpenReport openReport) {
        this.directory = directory;
        this.lock = lock;
        this.index = index;
        this.writer = writer;
        this.openReport = openReport;
    }

    /** Opens (creating if needed) the log in {@code directory} with {@link Options#defaults()}. */
    public static LocalCommitLog open(Path directory) {
        return open(directory, Options.defaults());
    }

    /**
     * Opens (creating if needed) the log in {@code directory}: locks it, reads every segment,
     * repairs damage (see the class comment) and starts the writer thread.
     *
     * @throws CommitLogException ({@link CommitLogException#cannotOpen}) if the directory is not a
     *     writable directory, is locked by another log, holds a file that is not a segment of this
     *     format, or cannot be read.
     */
    public static LocalCommitLog open(Path directory, Options options) {
        return open(directory, options, SegmentChannels.DEFAULT);
    }

    static LocalCommitLog open(Path directory, Options options, SegmentChannels channels) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(options, "options");
        Path dir = prepareDirectory(directory.toAbsolutePath().normalize());
        DirectoryLock lock = DirectoryLock.acquire(dir,
                CommitLogException::cannotOpen);
        try {
            LogIndex index = new LogIndex();
            List<Damage> damages = new ArrayList<>();
            NavigableMap<Long, Path> files = segmentFiles(dir);
            SegmentScanner scanner = new SegmentScanner();
            long records = 0;
            int read = 0;
            for (var file : files.entrySet()) {
                Segment segment = new Segment(file.getKey(), file.getValue());
                long count = scanner.scan(segment, entry -> apply(index, entry, segment), damages);
                if (count >= 0) {
                    index.addSegment(segment);
                    records += count;
                    read++;
                }
            }
            long nextId = files.isEmpty() ? 1 : files.lastKey() + 1;
            GroupCommitWriter writer = new GroupCommitWriter(dir, options.segmentBytes(), options.queueCapacity(),
                    options.endFlushInterval().toNanos(), channels, index, nextId, options.tornAppendHook());
            OpenReport report = new OpenReport(dir, read, records, index.unfinishedCount(), damages);
            report(report);
            writer.start();
            return new LocalCommitLog(dir, lock, index, writer, report);
        } catch (IOException e) {
            release(lock);
            throw CommitLogException.cannotOpen("Cannot open commit log " + dir + ": " + e, e);
        } catch (RuntimeException | Error e) {
            release(lock);
            throw e;
        }
    }

    private static void apply(LogIndex index, LogEntry entry, Segment segment) {
        if (entry instanceof LogEntry.Commit commit) {
            index.applyCommit(commit.record(), segment);
        } else if (entry instanceof LogEntry.BranchDone done) {
            index.applyBranchDone(done.gtrid(), done.branch(), segment);
        } else {
            index.applyEnd(entry.gtrid(), segment);
        }
    }

    private static Path prepareDirectory(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw CommitLogException.cannotOpen("Commit log directory " + dir + " exists but is not a directory;"
                    + " point the log at a directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw CommitLogException.cannotOpen("Cannot create commit log directory " + dir + ": " + e, e);
        }
        if (!Files.isWritable(dir)) {
            throw CommitLogException.cannotOpen("Commit log directory " + dir + " is not writable by this process;"
                    + " fix its permissions or choose another directory");
        }
        return dir;
    }

    private static NavigableMap<Long, Path> segmentFiles(Path dir) throws IOException {
        TreeMap<Long, Path> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            list.forEach(path -> {
                long id = Segment.idOf(path.getFileName().toString());
                if (id >= 0) {
                    files.put(id, path);
                }
            });
        }
        return files;
    }

    private static void report(OpenReport report) {
        for (Damage damage : report.damages()) {
            if (damage.kind() == OpenReport.DamageKind.CORRUPT_FRAME_SKIPPED) {
                log.error("Commit log {}: {}", report.directory(), damage.describe());
            } else {
                log.warn("Commit log {}: {}", report.directory(), damage.describe());
            }
        }
        log.info("Opened commit log {}: {} segment(s), {} record(s), {} unfinished commit(s)", report.directory(),
                report.segmentsRead(), report.recordsRead(), report.unfinishedCommits());
    }

    private static void release(DirectoryLock lock) {
        try {
            lock.close();
        } catch (IOException e) {
            log.warn("Releasing the commit log lock failed: {}", e.toString());
        }
    }

    @Override
    public void logCommit(CommitRecord record) {
        Objects.requireNonNull(record, "record");
        writer.commit(record);
    }

    @Override
    public void logEnd(String gtrid) {
        Objects.requireNonNull(gtrid, "gtrid");
        writer.end(gtrid);
    }

    @Override
    public void logEndForced(String gtrid) {
        Objects.requireNonNull(gtrid, "gtrid");
        writer.endForced(gtrid);
    }

    @Override
    public void logBranchDone(String gtrid, BranchRecord branch) {
        Objects.requireNonNull(gtrid, "gtrid");
        Objects.requireNonNull(branch, "branch");
        writer.branchDone(gtrid, branch);
    }

    @Override
    public boolean isBranchDone(String gtrid, BranchRecord branch) {
        return index.isBranchDone(gtrid, branch);
    }

    @Override
    public Decision decision(String gtrid) {
        return index.decision(gtrid);
    }

    @Override
    public List<CommitRecord> unfinished() {
        return index.unfinished();
    }

    /** What open found and repaired; printed by the recovery tool. */
    public OpenReport openReport() {
        return openReport;
    }

    @Override
    public boolean hasFailed() {
        return writer.hasFailed();
    }

    /** Counters since open, for tests, benchmarks and monitoring. */
    public LogStats stats() {
        return writer.stats();
    }

    public Path directory() {
        return directory;
    }

    /** Forces every commit queued before this call, stops the writer thread and releases the lock. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            writer.close();
        } finally {
            release(lock);
        }
    }

    /**
     * Tuning of a local log. Defaults: 64 MiB segments, a queue of 4096 waiting records, ENDs
     * forced after 1 s of idleness, no torn-append hook.
     *
     * @param segmentBytes size after which the writer starts a new segment (1 KiB to 1 GiB)
     * @param queueCapacity records that may wait for the writer before committers block (1 to 1,048,576)
     * @param endFlushInterval idle time after which written but unforced ENDs are forced (1 ms to 1 h)
     * @param tornAppendHook null, or the crash-test hook described at {@link TornAppendHook}
     */
    public record Options(long segmentBytes, int queueCapacity, Duration endFlushInterval,
                          TornAppendHook tornAppendHook) {
        public static final long DEFAULT_SEGMENT_BYTES = 64L * 1024 * 1024;
        public static final int DEFAULT_QUEUE_CAPACITY = 4096;
        public static final Duration DEFAULT_END_FLUSH_INTERVAL = Duration.ofSeconds(1);
        private static final long MIN_SEGMENT_BYTES = 1024;
        private static final long MAX_SEGMENT_BYTES = 1024L * 1024 * 1024;
        private static final int MAX_QUEUE_CAPACITY = 1 << 20;

        public Options {
            if (segmentBytes < MIN_SEGMENT_BYTES || segmentBytes > MAX_SEGMENT_BYTES) {
                throw new IllegalArgumentException("segmentBytes must be between " + MIN_SEGMENT_BYTES + " and "
                        + MAX_SEGMENT_BYTES + " (1 KiB to 1 GiB), was " + segmentBytes);
            }
            if (queueCapacity < 1 || queueCapacity > MAX_QUEUE_CAPACITY) {
                throw new IllegalArgumentException("queueCapacity must be between 1 and " + MAX_QUEUE_CAPACITY
                        + ", was " + queueCapacity);
            }
            Objects.requireNonNull(endFlushInterval, "endFlushInterval must be set (1 ms to 1 h)");
            if (endFlushInterval.compareTo(Duration.ofMillis(1)) < 0 || endFlushInterval.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("endFlushInterval must be between 1 ms and 1 h, was "
                        + endFlushInterval);
            }
        }

        public Options(long segmentBytes, int queueCapacity, Duration endFlushInterval) {
            this(segmentBytes, queueCapacity, endFlushInterval, null);
        }

        /** These options with {@code hook} as the torn-append hook. */
        public Options withTornAppendHook(TornAppendHook hook) {
            return new Options(segmentBytes, queueCapacity, endFlushInterval, hook);
        }

        public static Options defaults() {
            return builder().build();
        }

        public static Builder builder() {
            return new Builder();
        }

        /** Builder with the defaults preset; {@link #build()} validates. */
        public static final class Builder {
            private long segmentBytes = DEFAULT_SEGMENT_BYTES;
            private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
            private Duration endFlushInterval = DEFAULT_END_FLUSH_INTERVAL;
            private TornAppendHook tornAppendHook;

            private Builder() {
            }

            public Builder segmentBytes(long segmentBytes) {
                this.segmentBytes = segmentBytes;
                return this;
            }

            public Builder queueCapacity(int queueCapacity) {
                this.queueCapacity = queueCapacity;
                return this;
            }

            public Builder endFlushInterval(Duration endFlushInterval) {
                this.endFlushInterval = endFlushInterval;
                return this;
            }

            /** Crash tests only; see {@link TornAppendHook}. */
            public Builder tornAppendHook(TornAppendHook hook) {
                this.tornAppendHook = hook;
                return this;
            }

            public Options build() {
                return new Options(segmentBytes, queueCapacity, endFlushInterval, tornAppendHook);
            }
        }
    }
}
