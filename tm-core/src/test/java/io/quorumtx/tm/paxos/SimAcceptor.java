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
        /**
         * {@link StartMode#REJOIN}: the new directory's first record is a {@link AcceptorRecord.Rejoined}
         * fence at its wall clock plus the clock-skew margin, as {@code ReplicatedCommitLog.open} writes it.
         */
        REJOIN,
        /** Deliberately broken: comes back empty and votes as if it never had any state. */
        VOTES_AS_NEW,
    }

    /** How tombstones go. */
    enum Forgetting {
        /** {@link AcceptorState#expire} under the acceptor's {@link AcceptorState.Rules} (the horizon). */
        HORIZON,
        /** Deliberately broken (the rule before issue 11): no horizon, a tombstone goes a retention after it was finished. */
        RETENTION_AFTER_FINISH,
    }

    final String id;
    private final Random random;
    private final Consumer<Supplier<String>> trace;
    private final BiConsumer<String, AcceptorRecord.Accepted> acceptedObserver;
    private final boolean promisesDurable;
    private final AcceptorState.Rules rules;
    private final Forgetting forgetting;
    private final long clockSkewMarginMillis;
    private final long retentionMillis;
    private AcceptorState state;
    /** The disk: {@code diskLength} bytes of frames (the array grows by doubling, never copied per write). */
    private byte[] disk = new byte[256];
    private int diskLength;
    private boolean up = true;
    private boolean wiped;
    private boolean tearNextWrite;
    private long clockOffsetMillis;

    SimAcceptor(String id, Random random, Consumer<Supplier<String>> trace,
                BiConsumer<String, AcceptorRecord.Accepted> acceptedObserver, boolean promisesDurable,
                Forgetting forgetting, Duration retention, long clockSkewMarginMillis) {
        this.id = id;
        this.random = random;
        this.trace = trace;
        this.acceptedObserver = acceptedObserver;
        this.promisesDurable = promisesDurable;
        this.forgetting = forgetting;
        this.rules = forgetting == Forgetting.HORIZON
                ? new AcceptorState.Rules(retention.toMillis(), clockSkewMarginMillis) : AcceptorState.Rules.NONE;
        this.clockSkewMarginMillis = clockSkewMarginMillis;
        this.retentionMillis = retention.toMillis();
        this.state = new AcceptorState(rules);
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
                write(Arrays.copyOf(frame, kept));
                trace.accept(() -> "acceptor " + id + " crashes tearing its write of " + s.record() + " after " + kept
                        + " bytes");
                up = false;
                state = null;
                return List.of();
            }
            write(frame); // written and forced before the answer leaves
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
    boolean restart(EmptyDiskRestart emptyDisk, long simulatedMillis) {
        boolean wasWiped = wiped;
        if (wiped) {
            wiped = false;
            if (emptyDisk == EmptyDiskRestart.REJOIN) {
                long now = wallMillis(simulatedMillis);
                write(AcceptorRecords.encode(new AcceptorRecord.Rejoined(now, now + clockSkewMarginMillis)));
            }
            trace.accept(() -> "acceptor " + id + " restarts with an empty disk (" + emptyDisk + ")");
        }
        AcceptorRecords.Decoded decoded = AcceptorRecords.decode(ByteBuffer.wrap(disk), 0, diskLength);
        if (decoded.end() < diskLength) {
            trace.accept(() -> "acceptor " + id + " cuts a torn tail of " + (diskLength - decoded.end()) + " bytes");
            diskLength = decoded.end(); // later writes go after the last intact frame
        }
        state = new AcceptorState(rules);
        for (AcceptorRecord r : decoded.records()) {
            if (!promisesDurable && r instanceof AcceptorRecord.Promised) {
                continue;
            }
            state.replay(r);
        }
        up = true;
        trace.accept(() -> "acceptor " + id + " restarts with " + decoded.records().size() + " records");
        return wasWiped;
    }

    /** False if this acceptor refuses for good to create instance {@code gtrid} (EXPIRED or FENCED). */
    boolean mayVote(String gtrid, long simulatedMillis) {
        PaxosReply.Kind kind = state.handle(new PaxosRequest.Read(gtrid), wallMillis(simulatedMillis)).reply().kind();
        return kind != PaxosReply.Kind.EXPIRED && kind != PaxosReply.Kind.FENCED;
    }

    /** NTP (or an operator) steps this node's wall clock, either way: it is now {@code offset} ms off true time. */
    void stepClock(long offset) {
        trace.accept(() -> "acceptor " + id + " wall clock steps " + (offset - clockOffsetMillis) + " ms to " + offset
                + " ms off");
        clockOffsetMillis = offset;
    }

    /** The acceptor's housekeeping ({@code Acceptor.housekeeping}): drops the tombstones it may forget by now. */
    int expireTombstones(long simulatedMillis) {
        if (!up) {
            return 0;
        }
        int n;
        if (forgetting == Forgetting.HORIZON) {
            n = state.expire(wallMillis(simulatedMillis));
        } else {
            long horizon = wallMillis(simulatedMillis) - retentionMillis;
            List<String> expired = new ArrayList<>();
            for (Map.Entry<String, AcceptorState.Slot> e : state.slots().entrySet()) {
                if (e.getValue().finished() && e.getValue().finishedAtMillis() < horizon) {
                    expired.add(e.getKey());
                }
            }
            expired.forEach(state::dropTombstone);
            n = expired.size();
        }
        if (n > 0) {
            trace.accept(() -> "acceptor " + id + " drops " + n + " expired tombstone(s)");
        }
        return n;
    }

    private void write(byte[] bytes) {
        if (diskLength + bytes.length > disk.length) {
            disk = Arrays.copyOf(disk, Math.max(2 * disk.length, diskLength + bytes.length));
        }
        System.arraycopy(bytes, 0, disk, diskLength, bytes.length);
        diskLength += bytes.length;
    }
}
