package io.quorumtx.tm.paxos;

import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.xid.QuorumXid;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles, through {@link ReplicatedCommitLog#settle}, the accepted and unfinished instances a
 * majority of acceptors list for one owner: a member whose lease lapsed ({@link #takeOverLapsed}),
 * this node's own instances of earlier runs ({@link #takeOverInstancesOf}), and this node's own
 * stragglers past the horizon ({@link #sweepSoon}: an acceptor missed their FINISH).
 *
 * <p><b>Threads.</b> Lapsed members and the sweep are settled on a thread of their own, so settling
 * a dead member's transactions never delays lease renewals or the commit path. The first
 * {@link ReplicatedCommitLog#unfinished()} settles this node's own earlier instances on its caller's thread.
 */
final class Takeovers {
    private static final Logger LOG = LoggerFactory.getLogger(Takeovers.class);

    private final Replicas replicas;
    private final Consumer<String> settle;
    private final Predicate<String> finishingItself;
    private final BooleanSupplier closed;
    private final long horizonMillis;
    private final long openedAtMillis;
    private final ExecutorService thread;
    private volatile Runnable trigger = () -> { };

    /**
     * @param settle decides one transaction (may throw {@link CommitLogException})
     * @param finishingItself whether this node is finishing a transaction itself (it is unfinished work of this log)
     * @param closed whether the log is closed
     */
    Takeovers(Replicas replicas, Consumer<String> settle, Predicate<String> finishingItself, BooleanSupplier closed,
              long horizonMillis, long openedAtMillis) {
        this.replicas = replicas;
        this.settle = settle;
        this.finishingItself = finishingItself;
        this.closed = closed;
        this.horizonMillis = horizonMillis;
        this.openedAtMillis = openedAtMillis;
        this.thread = Executors.newSingleThreadExecutor(
                ReplicatedCommitLog.daemonThreads("quorumtx-paxos-takeover-" + replicas.self()));
    }

    /** What to run after a lapsed member's transactions were settled: ask recovery for a pass. */
    void onTakeoverNeeded(Runnable trigger) {
        this.trigger = trigger;
    }

    void shutdownNow() {
        thread.shutdownNow();
    }

    /**
     * On the takeover thread: settles {@code node}'s instances, then runs the trigger; if no
     * majority listed them, or one did not settle, runs {@code onFailure} (try again later).
     */
    void takeOverLapsed(String node, Runnable onFailure) {
        thread.execute(() -> {
            if (takeOverInstancesOf(node)) {
                trigger.run();
            } else {
                onFailure.run();
            }
        });
    }

    /** Queues a sweep of this node's own stragglers on the takeover thread. */
    void sweepSoon() {
        thread.execute(this::sweepOwnStragglers);
    }

    /**
     * Settles every accepted, unfinished instance of {@code owner}'s transactions that a majority
     * of acceptors know of; returns false if no majority answered (try again later).
     */
    boolean takeOverInstancesOf(String owner) {
        return settleListed(owner, gtrid -> !(owner.equals(replicas.self()) && isOfThisRun(gtrid)));
    }

    /**
     * Finishes this node's own instances that an acceptor still lists as accepted and unfinished
     * although they began before the horizon and this node is not finishing them: an acceptor
     * missed their FINISH (it was down or cut off), or a late accept reached it afterwards.
     * Without this, such state would stay until this node restarts.
     */
    private void sweepOwnStragglers() {
        if (closed.getAsBoolean()) {
            return;
        }
        long horizon = System.currentTimeMillis() - horizonMillis;
        try {
            settleListed(replicas.self(), gtrid -> !finishingItself.test(gtrid) && beganBefore(gtrid, horizon));
        } catch (RuntimeException e) {
            LOG.debug("Sweeping the stragglers of node {} failed: {}", replicas.self(), e.toString());
        }
    }

    private boolean settleListed(String owner, Predicate<String> needsSettling) {
        Set<String> gtrids = new HashSet<>();
        int answers = 0;
        Map<String, CompletableFuture<PaxosMessage>> replies = new HashMap<>();
        for (String a : replicas.all()) {
            replies.put(a, replicas.send(a, new PaxosMessage.ListAccepted(owner)));
        }
        for (Map.Entry<String, CompletableFuture<PaxosMessage>> e : replies.entrySet()) {
            try {
                PaxosMessage m = e.getValue().get(replicas.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
                if (m instanceof PaxosMessage.AcceptedList list) {
                    gtrids.addAll(list.gtrids());
                    answers++;
                }
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException | TimeoutException x) {
                LOG.debug("Acceptor {} did not list the instances of {}: {}", e.getKey(), owner, x.toString());
            }
        }
        if (answers < replicas.quorum()) {
            LOG.warn("Only {} of {} acceptors listed the unfinished transactions of node {}; a majority is needed, will"
                    + " try again", answers, replicas.all().size(), owner);
            return false;
        }
        gtrids.removeIf(needsSettling.negate()); // e.g. this process's own commit path decides those of this run
        for (String gtrid : gtrids) {
            try {
                settle.accept(gtrid);
            } catch (CommitLogException e) {
                LOG.warn("Could not settle transaction {} of node {}: {}", gtrid, owner, e.getMessage());
                return false;
            }
        }
        if (!gtrids.isEmpty()) {
            LOG.info("Node {} settled {} unfinished transaction(s) of node {} through Paxos", replicas.self(),
                    gtrids.size(), owner);
        }
        return true;
    }

    /** Begun after the log was opened: a transaction of this process, which it decides itself. */
    private boolean isOfThisRun(String gtrid) {
        try {
            return QuorumXid.beginMillis(gtrid) >= openedAtMillis;
        } catch (IllegalArgumentException notOurs) {
            return false;
        }
    }

    private static boolean beganBefore(String gtrid, long millis) {
        try {
            return QuorumXid.beginMillis(gtrid) < millis;
        } catch (IllegalArgumentException notOurs) {
            return false;
        }
    }
}
