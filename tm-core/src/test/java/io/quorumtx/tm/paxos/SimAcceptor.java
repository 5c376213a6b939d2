package io.quorumtx.tm.paxos;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One simulated acceptor: the real {@link AcceptorState} over a "disk" that is a byte array in the
 * real frame format ({@link AcceptorRecords}), with its own wall clock (the simulation's time plus
 * an offset that clock steps change). It writes and forces each record before it answers, can
 * crash (optionally tearing the write it was making), restart from its disk, or lose its disk.
 */
final class SimAcceptor {

    /** How a restart treats a wiped disk. */
    enum EmptyDiskRestart {
        /** Deliberately broken: comes back empty and votes as if it never had any state. */
        VOTES_AS_NEW,
    }

    final String id;
    private final Random random;
    private final Consumer<Supplier<String>> trace;
    private final BiConsumer<String, AcceptorRecord.Accepted> acceptedObserver;
    private final boolean promisesDurable;
    private AcceptorState state = new AcceptorState();
    /** The disk: {@code diskLength} bytes of frames (the array grows by doubling, never copied per write). */
    private byte[] disk = new byte[256];
    private int diskLength;
    private boolean up = true;
    private boolean wiped;
    private boolean tearNextWrite;
    private long clockOffsetMillis;

    SimAcceptor(String id, Random random, Consumer<Supplier<String>> trace,
                BiConsumer<String, AcceptorRecord.Accepted> acceptedObserver, boolean promisesDurable) {
        this.id = id;
        this.random = random;
        this.trace = trace;
        this.acceptedObserver = acceptedObserver;
        this.promisesDurable = promisesDurable;
    }

    boolean isUp() {
        return up;
    }

    AcceptorState state() {
        return state;
    }

    long wallMillis(long simulatedMillis) {
        return simulatedMillis + clockOffsetMillis;
    }

    /** Answers one request (empty if it crashed tearing the write the request caused). */
    List<PaxosReply> handle(PaxosRequest request, long simulatedMillis, boolean mayTear) {
        AcceptorState.Step s = state.handle(request, wallMillis(simulatedMillis));
        if (s.record() != null) {
            byte[] frame = AcceptorRecords.encode(s.record());
            if (tearNextWrite && mayTear) {
                tearNextWrite = false;
                int kept = random.nextInt(frame.length); // a prefix reached the disk, the force never returned
                write(frame, kept);
                trace.accept(() -> "acceptor " + id + " crashes tearing its write of " + s.record() + " after " + kept
                        + " bytes");
                up = false;
                state = null;
                return List.of();
            }
            write(frame, frame.length); // written and forced before the answer leaves
            if (s.record() instanceof AcceptorRecord.Accepted a) {
                acceptedObserver.accept(id, a);
            }
        }
        return List.of(s.reply());
    }

    void tearNextWrite() {
        tearNextWrite = true;
    }

    void noMoreTears() {
        tearNextWrite = false;
    }

    void crash() {
        up = false;
        state = null;
        trace.accept(() -> "acceptor " + id + " crashes");
    }

    /** The acceptor's volume is replaced while it is down: it restarts with no files at all. */
    void wipe() {
        if (up) {
            crash();
        }
        diskLength = 0;
        wiped = true;
        trace.accept(() -> "acceptor " + id + " loses its disk");
    }

    /** Restarts from the disk; a wiped acceptor comes back through {@code emptyDisk}. Returns whether it was wiped. */
    boolean restart(EmptyDiskRestart emptyDisk) {
        if (wiped) {
            wiped = false;
            state = new AcceptorState(); // VOTES_AS_NEW: what AcceptorLog.open did with a missing directory
            up = true;
            trace.accept(() -> "acceptor " + id + " restarts with an empty disk (" + emptyDisk + ")");
            return true;
        }
        AcceptorRecords.Decoded decoded = AcceptorRecords.decode(ByteBuffer.wrap(disk), 0, diskLength);
        if (decoded.end() < diskLength) {
            trace.accept(() -> "acceptor " + id + " cuts a torn tail of " + (diskLength - decoded.end()) + " bytes");
            diskLength = decoded.end(); // later writes go after the last intact frame
        }
        state = new AcceptorState();
        for (AcceptorRecord r : decoded.records()) {
            if (!promisesDurable && r instanceof AcceptorRecord.Promised) {
                continue;
            }
            state.replay(r);
        }
        up = true;
        trace.accept(() -> "acceptor " + id + " restarts with " + decoded.records().size() + " records");
        return false;
    }

    /** NTP (or an operator) steps this node's wall clock, either way: it is now {@code offset} ms off true time. */
    void stepClock(long offset) {
        trace.accept(() -> "acceptor " + id + " wall clock steps " + (offset - clockOffsetMillis) + " ms to " + offset
                + " ms off");
        clockOffsetMillis = offset;
    }

    /**
     * The acceptor's housekeeping ({@code Acceptor.housekeeping}): drops the tombstones finished
     * more than {@code retention} ago by its wall clock.
     */
    int expireTombstones(long simulatedMillis, Duration retention) {
        if (!up) {
            return 0;
        }
        long horizon = wallMillis(simulatedMillis) - retention.toMillis();
        List<String> expired = new ArrayList<>();
        for (Map.Entry<String, AcceptorState.Slot> e : state.slots().entrySet()) {
            if (e.getValue().finished() && e.getValue().finishedAtMillis() < horizon) {
                expired.add(e.getKey());
            }
        }
        expired.forEach(state::dropTombstone);
        int n = expired.size();
        if (n > 0) {
            trace.accept(() -> "acceptor " + id + " drops " + n + " expired tombstone(s)");
        }
        return n;
    }

    private void write(byte[] frame, int length) {
        if (diskLength + length > disk.length) {
            disk = Arrays.copyOf(disk, Math.max(2 * disk.length, diskLength + length));
        }
        System.arraycopy(frame, 0, disk, diskLength, length);
        diskLength += length;
    }
}
