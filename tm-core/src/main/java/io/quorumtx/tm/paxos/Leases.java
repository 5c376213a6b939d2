package io.quorumtx.tm.paxos;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leases: this member renews its own at every acceptor ({@link #tick}, each third of the lease),
 * and judges the others' from what the acceptors report. A member's lease has lapsed when a
 * majority of acceptors have not heard from it for a whole lease by their own clocks; then
 * {@code onLapse} is called once (a member's log starts a takeover of that member's transactions,
 * see {@link Takeovers}), and again after {@link #retryLater} if that takeover could not finish.
 *
 * <p><b>Threads.</b> {@link #tick} runs on the log's timer thread and hands each acceptor's lease
 * messages to a thread of its own (one at a time per acceptor), so a peer whose connection attempt
 * hangs never delays this node's renewals at the others. {@link #probe} runs on the caller's thread.
 */
final class Leases {
    private static final Logger LOG = LoggerFactory.getLogger(Leases.class);

    /** What one acceptor reported, and when: per node, the milliseconds since it last renewed there. */
    private record LeaseView(long receivedNanos, Map<String, Long> millisSince) {
    }

    private final Replicas replicas;
    private final Duration lease;
    private final Consumer<String> onLapse;
    private final ExecutorService senders;
    private final Map<String, AtomicBoolean> busy = new ConcurrentHashMap<>();
    private final Map<String, LeaseView> views = new ConcurrentHashMap<>();
    private final Set<String> lapsed = ConcurrentHashMap.newKeySet();

    /** {@code onLapse} is null for a client (the recovery tool), which never takes over by itself. */
    Leases(Replicas replicas, Duration lease, Consumer<String> onLapse) {
        this.replicas = replicas;
        this.lease = lease;
        this.onLapse = onLapse;
        this.senders = Executors.newFixedThreadPool(replicas.all().size(),
                ReplicatedCommitLog.daemonThreads("quorumtx-paxos-lease-" + replicas.self()));
        for (String a : replicas.all()) {
            busy.put(a, new AtomicBoolean());
        }
    }

    boolean isLapsed(String node) {
        return lapsed.contains(node);
    }

    /** The takeover of {@code node} could not finish: judge its lease afresh on the next tick. */
    void retryLater(String node) {
        lapsed.remove(node);
    }

    void shutdownNow() {
        senders.shutdownNow();
    }

    /** Renews this node's lease at every acceptor and asks each for its view of the others. */
    @SuppressWarnings("FutureReturnValueIgnored") // a renewal is fire-and-forget: a lost one shows as a lapsing view, which the next tick corrects
    void tick() {
        try {
            for (String a : replicas.all()) {
                AtomicBoolean sending = busy.get(a);
                if (!sending.compareAndSet(false, true)) {
                    continue; // the last renewal to this acceptor is still connecting
                }
                senders.execute(() -> {
                    try {
                        replicas.send(a, new PaxosMessage.Renew(replicas.self()));
                        replicas.send(a, new PaxosMessage.LeaseQuery()).thenAccept(m -> {
                            if (m instanceof PaxosMessage.LeaseReport r) {
                                views.put(a, new LeaseView(System.nanoTime(), r.millisSinceRenewal()));
                            }
                        });
                    } catch (RuntimeException e) {
                        LOG.debug("Lease message of node {} to {} failed: {}", replicas.self(), a, e.toString());
                    } finally {
                        sending.set(false);
                    }
                });
            }
            updateLapsed();
        } catch (RuntimeException e) {
            LOG.warn("Lease renewal of node {} failed: {}", replicas.self(), e.toString());
        }
    }

    /** See {@link ReplicatedCommitLog#probeReplicas}. */
    Map<String, String> probe() {
        Map<String, CompletableFuture<PaxosMessage>> asked = new TreeMap<>();
        for (String a : replicas.all()) {
            asked.put(a, replicas.send(a, new PaxosMessage.LeaseQuery()));
        }
        Duration requestTimeout = replicas.requestTimeout();
        Map<String, String> result = new TreeMap<>();
        for (Map.Entry<String, CompletableFuture<PaxosMessage>> e : asked.entrySet()) {
            try {
                PaxosMessage m = e.getValue().get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
                if (m instanceof PaxosMessage.LeaseReport r) {
                    views.put(e.getKey(), new LeaseView(System.nanoTime(), r.millisSinceRenewal()));
                    result.put(e.getKey(), r.rejoined() ? ReplicatedCommitLog.ANSWERED + "; rejoined at "
                            + Instant.ofEpochMilli(r.rejoinedAtMillis()) + " after losing its disk, fence "
                            + Instant.ofEpochMilli(r.fenceMillis()) + ": it leaves transactions begun before"
                            + " the fence to the other members" : ReplicatedCommitLog.ANSWERED);
                } else {
                    result.put(e.getKey(), m instanceof PaxosMessage.Error err ? err.message() : "unexpected answer");
                }
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                result.put(e.getKey(), "interrupted");
            } catch (ExecutionException x) {
                result.put(e.getKey(), String.valueOf(x.getCause().getMessage()));
            } catch (TimeoutException x) {
                result.put(e.getKey(), "no answer within " + requestTimeout);
            }
        }
        updateLapsed();
        return result;
    }

    private void updateLapsed() {
        long now = System.nanoTime();
        long leaseMillis = lease.toMillis();
        Set<String> nowLapsed = new HashSet<>();
        for (String node : replicas.all()) {
            if (node.equals(replicas.self())) {
                continue;
            }
            int silent = 0;
            for (LeaseView v : views.values()) {
                long age = TimeUnit.NANOSECONDS.toMillis(now - v.receivedNanos());
                Long since = v.millisSince().get(node);
                if (age <= 2 * leaseMillis && since != null && since + age > leaseMillis) {
                    silent++;
                }
            }
            if (silent >= replicas.quorum()) {
                nowLapsed.add(node);
            }
        }
        for (String node : nowLapsed) {
            if (lapsed.add(node) && onLapse != null) {
                LOG.warn("The lease of node {} has lapsed (a majority of acceptors has not heard from it for {}); node {}"
                        + " takes over its unfinished transactions", node, lease, replicas.self());
                onLapse.accept(node);
            }
        }
        lapsed.retainAll(nowLapsed);
    }
}
