package io.quorumtx.tm.log.internal;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.LogStats;
import io.quorumtx.tm.testing.TornAppendHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Group commit: the one thread that owns the active segment (its {@link SegmentWriter}).
 *
 * <p>Committers encode their record, put it in a bounded queue (a full queue blocks them: back
 * pressure instead of unbounded memory) and park. The writer takes whatever has queued up, writes
 * it with as few system calls as its buffer allows, calls {@code force} once for the whole batch,
 * publishes the commits to the index and wakes the committers. While one force runs, the next
 * batch queues up, so the number of forces follows the disk's speed, not the number of
 * transactions. ENDs are written but never forced on their own: they ride with the next batch of
 * commits, or with a flush after {@code endFlushNanos} of idleness.
 *
 * <p>Fail-stop: if a write or force fails, the records of that batch are in doubt (they may or
 * may not be on disk) and every later request is refused as definitely not written. A log that
 * has once failed to force cannot be trusted to know what it holds (see the PostgreSQL "fsyncgate"
 * discussion: a failed fsync may drop dirty pages), so it never retries. Restarting the transaction
 * manager reopens the log from what is really on disk.
 *
 * <p>Everything here except the queue, the flags and the counters is confined to the writer thread.
 */
@SuppressWarnings("NonAtomicVolatileUpdate") // the statistics counters are written by the writer thread only; volatile is for their readers
public final class GroupCommitWriter {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);
    private static final int BUFFER_BYTES = 256 * 1024;

    private final Path directory;
    private final long segmentBytes;
    private final long endFlushNanos;
    private final SegmentChannels channels;
    private final LogIndex index;
    private final ArrayBlockingQueue<LogRequest> queue;
    private final int maxBatch;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private final Thread thread;
    private final TornAppendHook tornAppendHook; // null outside crash tests

    private Segment active;
    private SegmentWriter segment;

    private volatile boolean stopped;
    private volatile CommitLogException failure;

    private volatile long recordsWritten;
    private volatile long commitsWritten;
    private volatile long forces;
    private volatile long bytesWritten;
    private volatile long segmentsDeleted;
    private volatile long commitsCarried;
    private volatile int segments;

    public GroupCommitWriter(Path directory, long segmentBytes, int queueCapacity, long endFlushNanos,
                             SegmentChannels channels, LogIndex index, long firstSegmentId,
                             TornAppendHook tornAppendHook) throws IOException {
        this.tornAppendHook = tornAppendHook;
        this.directory = directory;
        this.segmentBytes = segmentBytes;
        this.endFlushNanos = endFlushNanos;
        this.channels = channels;
        this.index = index;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.maxBatch = queueCapacity;
        startSegment(firstSegmentId);
        deleteFinishedSegments();
        this.thread = new Thread(this::run, "quorumtx-log-writer-" + directory.getFileName());
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Queues a COMMIT and returns once it is forced. */
    public void commit(CommitRecord record) {
        checkAccepting();
        LogRequest request;
        try {
            request = LogRequest.commit(record);
        } catch (IllegalArgumentException tooLarge) {
            throw CommitLogException.notWritten(tooLarge.getMessage() + "; the record was not written to commit log "
                    + directory, tooLarge);
        }
        enqueue(request);
        request.await();
    }

    /** Queues an END; never waits for the disk and never fails the caller (see CommitLog#logEnd). */
    public void end(String gtrid) {
        if (stopped || failure != null) {
            log.debug("END for {} not logged: commit log {} is closed or failed", gtrid, directory);
            return;
        }
        try {
            enqueue(LogRequest.end(gtrid));
        } catch (CommitLogException e) {
            log.debug("END for {} not logged: {}", gtrid, e.getMessage());
        }
    }

    /**
     * Queues an END or BRANCH_DONE and returns once it is forced (or was not needed: the gtrid has
     * no unfinished commit). Used off the commit path only: recovery and the phase-2 retrier.
     */
    public void endForced(String gtrid) {
        forced(LogRequest.forcedEnd(gtrid));
    }

    /** Queues a BRANCH_DONE and returns once it is forced (see {@link #endForced}). */
    public void branchDone(String gtrid, BranchRecord branch) {
        forced(LogRequest.branchDone(gtrid, branch));
    }

    private void forced(LogRequest request) {
        checkAccepting();
        enqueue(request);
        request.await();
    }

    /** Writes and forces everything queued before this call, then stops the writer thread. */
    public void close() {
        if (!stopped) {
            LogRequest close = LogRequest.close();
            try {
                enqueue(close);
                close.await();
            } catch (CommitLogException alreadyStopped) {
                // The writer is gone; nothing is left to drain.
            }
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Counters written only by the writer thread; a snapshot may mix values of adjacent batches. */
    /** True once a write or force failed: fail-stop, no more commits accepted. */
    public boolean hasFailed() {
        return failure != null;
    }

    public LogStats stats() {
        return new LogStats(recordsWritten, commitsWritten, forces, bytesWritten, segments, segmentsDeleted, commitsCarried);
    }

    private void checkAccepting() {
        CommitLogException failed = failure;
        if (failed != null) {
            throw CommitLogException.notWritten("Commit log " + directory + " has failed and accepts no more commits"
                    + " (cause: " + failed.getCause() + "); restart the transaction manager so the log is reopened"
                    + " from disk and recovery finishes in-doubt transactions", failed.getCause());
        }
        if (stopped) {
            throw closed();
        }
    }

    private CommitLogException closed() {
        return CommitLogException.notWritten("Commit log " + directory + " is closed");
    }

    private void enqueue(LogRequest request) {
        if (!queue.offer(request)) {
            try {
                while (!queue.offer(request, 50, TimeUnit.MILLISECONDS)) {
                    if (stopped) {
                        checkAccepting();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CommitLogException.notWritten("Interrupted while waiting for room in the queue of commit log "
                        + directory + "; the record was not written", e);
            }
        }
        // The writer sets 'stopped' before its last drain, so a request put after that drain is
        // seen here and taken back; one put before it is failed by the writer.
        if (stopped && queue.remove(request)) {
            checkAccepting();
            throw closed();
        }
    }

    private void run() {
        List<LogRequest> batch = new ArrayList<>(Math.min(maxBatch, 1024));
        try {
            boolean closing = false;
            while (!closing) {
                LogRequest first = segment.dirty() ? queue.poll(endFlushNanos, TimeUnit.NANOSECONDS) : queue.take();
                if (first == null) {
                    flushIdle();
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                closing = failure == null ? writeBatch(batch) : refuse(batch);
                batch.clear();
            }
        } catch (Throwable t) {
            // Not an I/O error (those are handled per batch): a bug or an Error. Fail-stop all the same.
            failure = CommitLogException.inDoubt("Commit log writer for " + directory + " died: " + t, t);
            log.error("Commit log writer for {} died; the log accepts no more commits", directory, t);
            for (LogRequest request : batch) {
                request.fail(failure);
            }
        } finally {
            stopped = true;
            List<LogRequest> left = new ArrayList<>();
            queue.drainTo(left);
            refuse(left);
            closeChannel();
        }
    }

    /** Returns true if the batch held the close request. */
    private boolean writeBatch(List<LogRequest> batch) {
        boolean closing = false;
        int commits = 0;
        int forcedOthers = 0;
        int records = 0;
        long bytes = 0;
        try {
            segment.beginBatch();
            for (LogRequest request : batch) {
                if (request.type == LogRequest.CLOSE) {
                    closing = true;
                } else if (request.type == FrameCodec.TYPE_COMMIT || index.isUnfinished(request.gtrid)) {
                    if (request.forced()) {
                        forcedOthers++;
                    }
                    if (request.type == FrameCodec.TYPE_COMMIT) {
                        commits++;
                        if (tornAppendHook != null) { // crash tests only: tear this frame, then let the hook halt
                            segment.flush();
                            segment.writeTornAndForce(request.frame);
                            tornAppendHook.partialCommitFrameForced(request.gtrid);
                        }
                    }
                    segment.append(request.frame);
                    records++;
                    bytes += request.frame.length;
                }
            }
            segment.flush();
            if (commits > 0 || forcedOthers > 0 || (closing && segment.dirty())) {
                force();
            }
        } catch (IOException | RuntimeException e) {
            failure = CommitLogException.inDoubt("Commit log " + directory + " could not write or force a batch of "
                    + commits + " commit record(s) (" + e + "). Their transactions are in doubt and will be finished"
                    + " by recovery; the log accepts no more commits.", e);
            log.error("Commit log {} failed; {} commit(s) in doubt, no more commits accepted", directory, commits, e);
            for (LogRequest request : batch) {
                if (request.type != LogRequest.CLOSE) {
                    request.fail(failure);
                }
            }
            finishClose(batch);
            return closing;
        }
        recordsWritten += records;
        commitsWritten += commits;
        bytesWritten += bytes;
        for (LogRequest request : batch) {
            if (request.type == FrameCodec.TYPE_COMMIT) {
                index.applyCommit(request.record, active);
                request.complete();
            } else if (request.type == FrameCodec.TYPE_END) {
                index.applyEnd(request.gtrid, active);
                request.complete();
            } else if (request.type == FrameCodec.TYPE_BRANCH_DONE) {
                index.applyBranchDone(request.gtrid, request.branch, active);
                request.complete();
            }
        }
        if (!closing) {
            try {
                if (segment.size() >= segmentBytes) {
                    rollSegment();
                }
            } catch (IOException | RuntimeException e) {
                failure = CommitLogException.notWritten("Commit log " + directory + " could not start a new segment ("
                        + e + "); the log accepts no more commits.", e);
                log.error("Commit log {} failed to roll its segment; no more commits accepted", directory, e);
                return false;
            }
            deleteFinishedSegments();
        }
        finishClose(batch);
        return closing;
    }

    private static void finishClose(List<LogRequest> batch) {
        for (LogRequest request : batch) {
            if (request.type == LogRequest.CLOSE) {
                request.complete();
            }
        }
    }

    /** After a failure: every request is refused as never written; a close request stops the loop. */
    private boolean refuse(List<LogRequest> requests) {
        boolean closing = false;
        for (LogRequest request : requests) {
            if (request.type == LogRequest.CLOSE) {
                closing = true;
                request.complete();
            } else {
                CommitLogException failed = failure;
                request.fail(failed != null
                        ? CommitLogException.notWritten("Commit log " + directory + " has failed and accepts no more"
                        + " commits (cause: " + failed.getCause() + "); the record was not written", failed.getCause())
                        : closed());
            }
        }
        return closing;
    }

    private void force() throws IOException {
        segment.force();
        forces++;
    }

    private void flushIdle() {
        try {
            force();
        } catch (IOException | RuntimeException e) {
            // Only ENDs were unforced, but a failed force means the disk cannot be trusted: fail-stop.
            failure = CommitLogException.notWritten("Commit log " + directory + " could not force its segment (" + e
                    + "); the log accepts no more commits.", e);
            log.error("Commit log {} failed to force; no more commits accepted", directory, e);
        }
    }

    /**
     * Starts the next segment and carries into it the unfinished commits of every segment older
     * than the one just closed. Without this one commit whose participant stays unreachable would
     * keep its segment, and through the ENDs that refer to that segment's other commits every
     * later segment, on disk for as long as it stays unfinished. A commit still running when its
     * segment closes gets a whole segment's time to finish before it is copied.
     */
    private void rollSegment() throws IOException {
        if (segment.dirty()) {
            force();
        }
        segment.close(true);
        long closedId = active.id;
        startSegment(closedId + 1);
        List<CommitRecord> carried = index.unfinishedBefore(closedId);
        if (carried.isEmpty()) {
            return;
        }
        segment.beginBatch();
        long bytes = 0;
        long records = 0;
        List<Set<BranchRecord>> done = new ArrayList<>(carried.size());
        for (CommitRecord record : carried) {
            byte[] frame = FrameCodec.encodeCommit(record);
            segment.append(frame);
            bytes += frame.length;
            records++;
            // The finished branches go with their commit: without them a re-listed finished branch
            // would be committed again once the old segment is deleted.
            Set<BranchRecord> finished = index.doneBranches(record.gtrid());
            done.add(finished);
            for (BranchRecord branch : finished) {
                byte[] doneFrame = FrameCodec.encodeBranchDone(record.gtrid(), branch);
                segment.append(doneFrame);
                bytes += doneFrame.length;
                records++;
            }
        }
        segment.flush();
        force();
        bytesWritten += bytes;
        recordsWritten += records;
        commitsCarried += carried.size();
        for (int i = 0; i < carried.size(); i++) {
            CommitRecord record = carried.get(i);
            index.applyCommit(record, active);
            for (BranchRecord branch : done.get(i)) {
                index.applyBranchDone(record.gtrid(), branch, active);
            }
        }
        log.debug("Carried {} unfinished commit(s) forward into {}", carried.size(), active.path);
    }

    private void startSegment(long id) throws IOException {
        Path path = directory.resolve(Segment.fileName(id));
        segment = SegmentWriter.create(directory, path, id, segmentBytes, buffer, channels);
        active = new Segment(id, path);
        index.addSegment(active);
    }

    private void deleteFinishedSegments() {
        for (Segment segment = index.takeFinishedSegment(active); segment != null;
             segment = index.takeFinishedSegment(active)) {
            try {
                Files.deleteIfExists(segment.path);
                segmentsDeleted++;
                log.debug("Deleted finished commit log segment {}", segment.path);
            } catch (IOException e) {
                log.warn("Cannot delete finished commit log segment {} ({}); it is reread and retried at next open",
                        segment.path, e.toString());
            }
        }
        segments = index.segmentCount();
    }

    private void closeChannel() {
        try {
            if (segment != null && segment.isOpen()) {
                segment.close(failure == null);
            }
        } catch (IOException e) {
            log.warn("Closing commit log segment {} failed: {}", active.path, e.toString());
        }
    }
}
