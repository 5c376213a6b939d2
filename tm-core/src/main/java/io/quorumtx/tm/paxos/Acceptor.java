package io.quorumtx.tm.paxos;

import io.quorumtx.tm.xid.QuorumXid;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's Paxos acceptor: the {@link AcceptorState} and its {@link AcceptorLog}, owned by one
 * thread that is also the group commit. The thread takes every message queued, applies all their
 * requests in order, appends the records, forces once, and only then completes the replies: many
 * transactions share one force, and no answer ever leaves before what it promises is durable.
 *
 * <p>The queue is bounded: a full queue refuses a message at once with an error (the proposer
 * retries), never buffers without limit. A failed write or force stops the acceptor (fail-stop,
 * as the local log): it refuses everything until restarted from its files.
 *
 * <p>Leases are not durable: each renewal restarts a timer on this acceptor's monotonic clock;
 * a member not heard from since this acceptor started counts from the start (a restart only
 * delays a takeover, never hastens one).
 */
final class Acceptor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Acceptor.class);
    private static final int QUEUE_CAPACITY = 4096;
    private static final long COMPACT_BYTES = 64L * 1024 * 1024;

    private final String nodeId;
    private final Set<String> members;
    private final AcceptorLog log;
    private final AcceptorState state;
    private final ArrayBlockingQueue<Task> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Map<String, Long> lastRenewalNanos = new ConcurrentHashMap<>();
    private final long startNanos = System.nanoTime();
    private final Thread thread;
    private volatile boolean stopped;
    private volatile String failure;
    private long lastExpiryMillis;
    private long compactAt = COMPACT_BYTES;
    /** Written by the acceptor thread only; volatile so the benchmark's reader sees whole, recent values. */
    private volatile long forces;
    private volatile long records;

    private record Task(Function<AcceptorState, Work> work, CompletableFuture<PaxosMessage> reply) {
    }

    /** What a task did to the state: the records to write (and whether to force them), then the reply to send. */
    private record Work(List<AcceptorRecord> records, boolean force, PaxosMessage reply) {
        Work(List<AcceptorRecord> records, PaxosMessage reply) {
            this(records, !records.isEmpty(), reply);
        }
    }

    /**
     * Serves {@code log}'s state under {@code rules} (the horizon is the cluster's tombstone
     * retention, see {@link AcceptorState}); every member must use the same rules.
     */
    public Acceptor(String nodeId, Set<String> members, AcceptorLog log, AcceptorState.Rules rules) {
        this.nodeId = nodeId;
        this.members = Set.copyOf(members);
        this.log = log;
        this.state = new AcceptorState(rules);
        for (AcceptorRecord r : log.replayed()) {
            state.replay(r);
        }
        AcceptorRecord.Rejoined fence = state.rejoined();
        LOG.info("Paxos acceptor of node {} opened {}: {}{}", nodeId, log.directory(), log.openReport(), fence == null
                ? "" : "; rejoined at " + java.time.Instant.ofEpochMilli(fence.rejoinedAtMillis()) + " after losing its"
                + " disk: it leaves transactions begun before " + java.time.Instant.ofEpochMilli(fence.fenceMillis())
                + " to the other members");
        thread = new Thread(this::run, "quorumtx-acceptor-" + nodeId);
        thread.setDaemon(true);
        thread.start();
    }

    public String nodeId() {
        return nodeId;
    }

    /** Handles one message from node {@code from}; the future completes once the reply may be sent. */
    public CompletableFuture<PaxosMessage> handle(String from, PaxosMessage message) {
        if (message instanceof PaxosMessage.Renew renew) {
            lastRenewalNanos.put(renew.nodeId(), System.nanoTime());
            return CompletableFuture.completedFuture(new PaxosMessage.Ack());
        }
        if (message instanceof PaxosMessage.LeaseQuery) {
            return CompletableFuture.completedFuture(leaseReport());
        }
        Function<AcceptorState, Work> work;
        if (message instanceof PaxosMessage.Requests requests) {
            work = s -> apply(s, requests.requests());
        } else if (message instanceof PaxosMessage.ListAccepted list) {
            work = s -> new Work(List.of(), listAccepted(s, list.owner()));
        } else {
            return CompletableFuture.completedFuture(new PaxosMessage.Error("acceptor " + nodeId
                    + " does not answer " + message.getClass().getSimpleName()));
        }
        CompletableFuture<PaxosMessage> reply = new CompletableFuture<>();
        String failed = failure;
        if (failed != null || stopped) {
            reply.complete(new PaxosMessage.Error("acceptor " + nodeId + " is "
                    + (failed != null ? "stopped after a disk failure: " + failed : "closed")));
        } else if (!queue.offer(new Task(work, reply))) {
            reply.complete(new PaxosMessage.Error("acceptor " + nodeId + " is overloaded (" + QUEUE_CAPACITY
                    + " messages queued); retry"));
        }
        return reply;
    }

    /** Forces and counters, for tests and the benchmark's figures. */
    public long forces() {
        return forces;
    }

    public long recordsWritten() {
        return records;
    }

    /** The rejoin fence of this acceptor, or null if it never rejoined after losing its disk. */
    public AcceptorRecord.Rejoined rejoined() {
        return state.rejoined(); // set before the thread starts, never changed: safe to read from any thread
    }

    /** How many instances (tombstones included) this acceptor holds, and its file's length in bytes (tests, figures). */
    public record Footprint(int instances, long fileBytes) {
    }

    /** The current {@link Footprint}, read on the acceptor thread. */
    public Footprint footprint() {
        return onAcceptorThread(s -> new Footprint(s.slots().size(), log.size()));
    }

    /** A copy of one instance's state (tests, the tool), read on the acceptor thread. */
    public AcceptorState.Slot slot(String gtrid) {
        return onAcceptorThread(s -> s.slot(gtrid));
    }

    private <T> T onAcceptorThread(Function<AcceptorState, T> read) {
        if (stopped) {
            throw new IllegalStateException("acceptor " + nodeId + " is stopped");
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        CompletableFuture<PaxosMessage> ignored = new CompletableFuture<>();
        if (!queue.offer(new Task(s -> {
            result.complete(read.apply(s));
            return new Work(List.of(), new PaxosMessage.Ack());
        }, ignored))) {
            throw new IllegalStateException("acceptor " + nodeId + " is overloaded");
        }
        return result.join();
    }

    private Work apply(AcceptorState s, List<PaxosRequest> requests) {
        List<AcceptorRecord> toWrite = new ArrayList<>();
        List<PaxosReply> replies = new ArrayList<>(requests.size());
        long now = System.currentTimeMillis();
        boolean force = false;
        for (PaxosRequest r : requests) {
            AcceptorState.Step step = s.handle(r, now);
            if (step.record() != null) {
                toWrite.add(step.record());
                force |= step.force();
            }
            replies.add(step.reply());
        }
        return new Work(toWrite, force, new PaxosMessage.Replies(replies));
    }

    /** The answer to {@link PaxosMessage.ListAccepted} (package-private: the simulation asks it too). */
    static PaxosMessage listAccepted(AcceptorState s, String owner) {
        List<String> gtrids = new ArrayList<>();
        for (Map.Entry<String, AcceptorState.Slot> e : s.slots().entrySet()) {
            AcceptorState.Slot slot = e.getValue();
            if (!slot.finished() && slot.acceptedBallot() != null && ownedBy(e.getKey(), owner)) {
                gtrids.add(e.getKey());
            }
        }
        return new PaxosMessage.AcceptedList(gtrids);
    }

    private static boolean ownedBy(String gtrid, String owner) {
        try {
            return QuorumXid.ownerNodeId(gtrid).equals(owner);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private PaxosMessage leaseReport() {
        long now = System.nanoTime();
        Map<String, Long> report = new java.util.HashMap<>();
        for (String m : members) {
            Long last = lastRenewalNanos.get(m);
            long since = now - (last == null ? startNanos : last);
            report.put(m, TimeUnit.NANOSECONDS.toMillis(since));
        }
        AcceptorRecord.Rejoined fence = state.rejoined();
        return new PaxosMessage.LeaseReport(report, fence == null ? 0 : fence.rejoinedAtMillis(),
                fence == null ? 0 : fence.fenceMillis());
    }

    @SuppressWarnings("NonAtomicVolatileUpdate") // forces and records: this thread is their only writer
    private void run() {
        List<Task> batch = new ArrayList<>();
        List<Work> done = new ArrayList<>();
        List<byte[]> frames = new ArrayList<>();
        boolean unforced = false;
        try {
            while (!stopped) {
                Task first = queue.poll(unforced ? 100 : 200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (unforced) { // lazy finishes wait at most this long for a force to ride with
                        log.force();
                        forces++;
                        unforced = false;
                    }
                    housekeeping();
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch);
                boolean force = false;
                for (Task t : batch) {
                    Work w = t.work().apply(state);
                    done.add(w);
                    force |= w.force();
                    for (AcceptorRecord r : w.records()) {
                        frames.add(AcceptorRecords.encode(r));
                    }
                }
                if (!frames.isEmpty()) {
                    log.append(frames);
                    records += frames.size();
                    unforced = true;
                }
                if (force) {
                    log.force();
                    forces++;
                    unforced = false;
                }
                for (int i = 0; i < batch.size(); i++) {
                    batch.get(i).reply().complete(done.get(i).reply());
                }
                batch.clear();
                done.clear();
                frames.clear();
                housekeeping();
            }
        } catch (IOException | RuntimeException e) {
            failure = e.toString();
            LOG.error("Paxos acceptor of node {} failed to write or force its file in {}; it answers nothing more until"
                    + " restarted (its file is reread then)", nodeId, log.directory(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stopped = true;
            PaxosMessage refused = new PaxosMessage.Error("acceptor " + nodeId + " stopped");
            for (Task t : batch) {
                t.reply().complete(refused); // unforced: their answers must never be sent
            }
            List<Task> left = new ArrayList<>();
            queue.drainTo(left);
            for (Task t : left) {
                t.reply().complete(refused);
            }
        }
    }

    /** Drops the tombstones the rules let go (at most once a second) and compacts a large file. */
    private void housekeeping() throws IOException {
        long now = System.currentTimeMillis();
        if (now - lastExpiryMillis < 1000) {
            return;
        }
        lastExpiryMillis = now;
        state.expire(now);
        if (log.size() > compactAt) {
            List<AcceptorRecord> live = new ArrayList<>();
            if (state.rejoined() != null) {
                live.add(state.rejoined()); // the fence outlives every compaction
            }
            for (Map.Entry<String, AcceptorState.Slot> e : state.slots().entrySet()) {
                live.addAll(AcceptorState.recordsOf(e.getKey(), e.getValue()));
            }
            log.compact(live);
            compactAt = Math.max(COMPACT_BYTES, 2 * log.size());
        }
    }

    /** Stops the thread (answering what it already took) and closes the files. Idempotent. */
    @Override
    public void close() {
        stopped = true;
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        log.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
