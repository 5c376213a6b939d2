package io.quorumtx.tm.log.internal;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;

import java.util.concurrent.locks.LockSupport;

/**
 * One record on its way to the writer thread, and the hand-off back to the thread that waits for
 * it. Waiting parks the committer; the writer unparks it after the batch's force. Cheaper than a
 * future or latch per record, and the only allocation per commit besides the encoded frame.
 */
final class LogRequest {
    static final byte CLOSE = 0;
    private static final int PENDING = 0;
    private static final int DONE = 1;
    private static final int FAILED = 2;

    final byte type;
    final byte[] frame;
    final CommitRecord record;
    final String gtrid;
    final BranchRecord branch; // BRANCH_DONE only
    private final Thread waiter;
    private volatile int state = PENDING;
    private CommitLogException failure;

    private LogRequest(byte type, byte[] frame, CommitRecord record, String gtrid, Thread waiter) {
        this(type, frame, record, gtrid, null, waiter);
    }

    private LogRequest(byte type, byte[] frame, CommitRecord record, String gtrid, BranchRecord branch, Thread waiter) {
        this.branch = branch;
        this.type = type;
        this.frame = frame;
        this.record = record;
        this.gtrid = gtrid;
        this.waiter = waiter;
    }

    static LogRequest commit(CommitRecord record) {
        return new LogRequest(FrameCodec.TYPE_COMMIT, FrameCodec.encodeCommit(record), record, record.gtrid(),
                Thread.currentThread());
    }

    static LogRequest end(String gtrid) {
        return new LogRequest(FrameCodec.TYPE_END, FrameCodec.encodeEnd(gtrid), null, gtrid, null);
    }

    /** An END whose caller waits until it is forced (recovery's path; the commit path's END is lazy). */
    static LogRequest forcedEnd(String gtrid) {
        return new LogRequest(FrameCodec.TYPE_END, FrameCodec.encodeEnd(gtrid), null, gtrid, Thread.currentThread());
    }

    /** A BRANCH_DONE; its caller always waits until it is forced. */
    static LogRequest branchDone(String gtrid, BranchRecord branch) {
        return new LogRequest(FrameCodec.TYPE_BRANCH_DONE, FrameCodec.encodeBranchDone(gtrid, branch), null, gtrid,
                branch, Thread.currentThread());
    }

    /** True if the caller waits for this record to be forced. */
    boolean forced() {
        return waiter != null && type != CLOSE;
    }

    static LogRequest close() {
        return new LogRequest(CLOSE, null, null, null, Thread.currentThread());
    }

    /** Settles the request once; later calls are ignored. Called only by the writer thread. */
    void complete() {
        if (state == PENDING) {
            state = DONE;
            wake();
        }
    }

    /** Fails the request unless it is already settled (a durable record never turns into a failure). */
    void fail(CommitLogException cause) {
        if (state == PENDING) {
            failure = cause;
            state = FAILED;
            wake();
        }
    }

    private void wake() {
        if (waiter != null) {
            LockSupport.unpark(waiter);
        }
    }

    /**
     * Blocks until the writer has settled this record. Not interruptible: once queued, the
     * record may reach the disk, so giving up early would leave the caller not knowing whether it
     * committed. An interrupt is kept and re-asserted on return.
     */
    void await() {
        boolean interrupted = false;
        while (state == PENDING) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (state == FAILED) {
            // A fresh exception so the caller's stack trace shows where it was waiting.
            throw failure.rethrownHere();
        }
    }
}
