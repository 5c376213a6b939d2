package io.quorumtx.tm.paxos;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.xid.QuorumXid;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Paxos-replicated {@link CommitLog}: each transaction's decision is one single-decree Paxos
 * instance keyed by its gtrid, over the acceptors of every member (this node's own included).
 *
 * <p><b>Commit.</b> {@link #logCommit} proposes COMMIT at the coordinator's round 0 (no phase 1)
 * and returns once a majority accepted it: one round trip to the acceptors in parallel plus their
 * forces. If a takeover got there first, the proposal retries with phase 1 and obeys what is
 * chosen: ABORT makes the commit fail as definitely not written (the transaction rolls back);
 * no majority within the commit timeout leaves the outcome in doubt for recovery, as a failed
 * force of the local log does.
 *
 * <p><b>Batching.</b> Requests to one acceptor go through its outbox: a sender thread takes
 * everything queued, sends it as one message, and waits for the one reply (the acceptor forces
 * once for all of it) while the next batch queues up. Outboxes are bounded.
 *
 * <p><b>Learning and takeover.</b> {@link #decision} reads a majority (COMMIT/ABORT if they show
 * a chosen value, else UNKNOWN); {@link #settle} runs a takeover with a higher ballot that
 * carries on an accepted value or proposes ABORT. Recovery settles only transactions whose
 * owner cannot decide any more.
 *
 * <p><b>Leases.</b> Every member renews its lease at every acceptor each third of the lease;
 * {@link #isOwnerLeaseLapsed} is true when a majority of acceptors have not heard from the node
 * for a whole lease by their own clocks. When a member's lease lapses this node settles that
 * member's accepted, unfinished instances, adds the COMMITs to its own unfinished work and asks
 * recovery for a pass ({@link #onTakeoverNeeded}).
 *
 * <p><b>Forgetting.</b> END becomes a FINISH at every acceptor (not only those that accepted: a
 * late round-0 accept may land on any), which keeps a tombstone with the chosen value until the
 * horizon has passed. A chosen ABORT is finished at once: its branches only need rolling back,
 * which presumed abort also answers once the tombstone is gone. A settle that reads a finished
 * instance only finishes the acceptors that missed it (it needs no decision), and one that meets
 * a majority past the horizon concludes ABORT without anything chosen (see {@link AcceptorState}).
 * Periodically each node settles its own accepted, unfinished instances older than the horizon
 * that it is not finishing itself (an acceptor that missed their FINISH), so acceptor state stays
 * bounded.
 *
 * <p><b>Finished branches</b> (the guard against a database that lists a finished branch again,
 * see {@link CommitLog#logBranchDone}). {@link #logBranchDone} returns once a majority of
 * acceptors forced the BRANCH_DONE; they keep it with the instance, tombstone included.
 * {@link #isBranchDone} answers from memory when this process recorded or read the branch, and
 * otherwise reads a majority: any majority includes one acceptor that forced the record. So a
 * restarted node, another node, or the recovery tool still sees the branch finished. After the
 * commit's END (a tombstone, which still answers COMMIT) every branch counts as finished, as END
 * is only written once they are: a branch listed then is rolled back, as with the local log. Once
 * the tombstone is forgotten past the horizon, such a branch reads as presumed abort: rolled back too.
 */
public final class ReplicatedCommitLog implements CommitLog {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedCommitLog.class);
    private static final int OUTBOX_CAPACITY = 65_536;
    private static final int MAX_BATCH = 4096;
    private static final int MAX_IN_FLIGHT = 4;
    /** Lazy FINISHes ride with the next batch of requests, or go on their own after this long. */
    private static final long LAZY_FLUSH_MILLIS = 20;
    private static final int KNOWN_LIMIT = 100_000;
    /** How long a thrifty round-0 accept waits for its chosen majority before asking the other acceptors too. */
    private static final long THRIFTY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** How long an acceptor that failed a request is passed over by thrifty accepts. */
    private static final long UNHEALTHY_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final String self;
    private final String proposerBase;
    private final AtomicLong proposals = new AtomicLong();
    private final Set<String> acceptors;
    private final int quorum;
    private final Acceptor ownAcceptor;
    private final PaxosTransport transport;
    private final Duration requestTimeout;
    private final Duration commitTimeout;
    private final Duration lease;
    private final long horizonMillis;
    private final Map<String, Outbox> outboxes = new HashMap<>();
    private final Map<String, CommitRecord> unfinished = new ConcurrentHashMap<>();
    private final Map<String, Long> unhealthyUntil = new ConcurrentHashMap<>();
    private final Map<String, PaxosValue> known = new ConcurrentHashMap<>();
    /**
     * Branches known finished, per unfinished commit of this node (written by this process, or read
     * back from the acceptors); dropped at END, after which {@link #isBranchDone} reads them again.
     */
    private final Map<String, Set<BranchRecord>> doneBranches = new ConcurrentHashMap<>();
    private final Map<String, LeaseView> leaseViews = new ConcurrentHashMap<>();
    private final Set<String> lapsed = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;
    /**
     * Lease messages go out on threads of their own, one at a time per acceptor, so a peer whose
     * connection attempt hangs never delays this node's renewals at the others; takeovers run on
     * yet another thread, so settling a dead member's transactions never delays them either.
     */
    private final java.util.concurrent.ExecutorService leaseSenders;
    private final Map<String, java.util.concurrent.atomic.AtomicBoolean> leaseBusy = new ConcurrentHashMap<>();
    private final java.util.concurrent.ExecutorService takeovers;
    private volatile Runnable takeoverTrigger = () -> { };
    private volatile boolean ownScanDone;
    private volatile boolean closed;
    private final long openedAtMillis = System.currentTimeMillis();

    private record LeaseView(long receivedNanos, Map<String, Long> millisSince) {
    }

    private ReplicatedCommitLog(String self, Set<String> acceptors, Acceptor ownAcceptor, PaxosTransport transport,
                                Duration requestTimeout, Duration commitTimeout, Duration lease, Duration horizon,
                                boolean renewLease) {
        this.self = self;
        this.proposerBase = self + "." + Long.toString(System.currentTimeMillis(), 36) + "."
                + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
        this.acceptors = Set.copyOf(acceptors);
        this.quorum = acceptors.size() / 2 + 1;
        this.ownAcceptor = ownAcceptor;
        this.transport = transport;
        this.requestTimeout = requestTimeout;
        this.commitTimeout = commitTimeout;
        this.lease = lease;
        this.horizonMillis = horizon.toMillis();
        for (String a : this.acceptors) {
            outboxes.put(a, new Outbox(a));
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("quorumtx-paxos-timer-" + self));
        this.leaseSenders = Executors.newFixedThreadPool(this.acceptors.size(), daemon("quorumtx-paxos-lease-" + self));
        this.takeovers = Executors.newSingleThreadExecutor(daemon("quorumtx-paxos-takeover-" + self));
        for (String a : this.acceptors) {
            leaseBusy.put(a, new java.util.concurrent.atomic.AtomicBoolean());
        }
        if (renewLease) {
            long period = Math.max(1, lease.toMillis() / 3);
            timer.scheduleWithFixedDelay(this::leaseTick, 0, period, TimeUnit.MILLISECONDS);
            timer.scheduleWithFixedDelay(this::flushLazy, LAZY_FLUSH_MILLIS, LAZY_FLUSH_MILLIS, TimeUnit.MILLISECONDS);
            long sweep = Math.max(1000, horizonMillis / 2);
            timer.scheduleWithFixedDelay(() -> takeovers.execute(this::sweepOwnStragglers), sweep, sweep,
                    TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Opens this member's acceptor (its data directory), starts serving it (TCP or in-process),
     * and returns the log. Nothing is proposed yet; this node's own unfinished transactions of
     * earlier runs are found on the first {@link #unfinished()}.
     */
    public static ReplicatedCommitLog open(ReplicatedLogConfig config) {
        ClusterConfig cluster = config.cluster();
        AcceptorLog files = switch (config.startMode()) {
            case BOOTSTRAP -> AcceptorLog.bootstrap(config.dataDirectory(), cluster.self());
            case RESTART -> AcceptorLog.open(config.dataDirectory(), cluster.self());
            case REJOIN -> {
                long now = System.currentTimeMillis();
                AcceptorRecord.Rejoined fence = new AcceptorRecord.Rejoined(now,
                        now + config.clockSkewMargin().toMillis());
                LOG.warn("Node {} rejoins the replicated log with a new acceptor directory {}: it leaves every transaction"
                        + " begun before {} (now plus the clock-skew margin {}) to the other members", cluster.self(),
                        config.dataDirectory(), java.time.Instant.ofEpochMilli(fence.fenceMillis()),
                        config.clockSkewMargin());
                yield AcceptorLog.rejoin(config.dataDirectory(), cluster.self(), fence);
            }
        };
        Acceptor acceptor;
        try {
            acceptor = new Acceptor(cluster.self(), cluster.members().keySet(), files, config.acceptorRules());
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
        PaxosTransport transport;
        try {
            if (config.inProcessNetwork() != null) {
                config.inProcessNetwork().register(acceptor);
                transport = config.inProcessNetwork().transportFor(cluster.self());
            } else {
                transport = config.tls() == null ? TcpTransport.serve(cluster, acceptor, config.requestTimeout())
                        : TcpTransport.serve(cluster, config.tls(), acceptor, config.requestTimeout());
            }
        } catch (IOException | RuntimeException e) {
            acceptor.close();
            throw CommitLogException.cannotOpen("Cannot start the replicated log of node " + cluster.self() + ": "
                    + e.getMessage(), e);
        }
        LOG.info("Replicated commit log of node {} started: {} members {}, quorum {}", cluster.self(),
                cluster.members().size(), cluster.members().keySet(), cluster.quorum());
        return new ReplicatedCommitLog(cluster.self(), cluster.members().keySet(), acceptor, transport,
                config.requestTimeout(), config.commitTimeout(), config.lease(), config.tombstoneRetention(), true);
    }

    /**
     * A proposer and learner without an acceptor of its own (the recovery tool): reads decisions
     * from a majority and can take over, through {@code transport}.
     */
    public static ReplicatedCommitLog client(String proposerId, Set<String> acceptors, PaxosTransport transport,
                                             Duration requestTimeout) {
        return client(proposerId, acceptors, transport, requestTimeout, ReplicatedLogConfig.DEFAULT_LEASE);
    }

    /** As {@link #client(String, Set, PaxosTransport, Duration)}, judging leases by the members' {@code lease}. */
    public static ReplicatedCommitLog client(String proposerId, Set<String> acceptors, PaxosTransport transport,
                                             Duration requestTimeout, Duration lease) {
        return new ReplicatedCommitLog(proposerId, acceptors, null, transport, requestTimeout,
                requestTimeout.multipliedBy(3), lease, ReplicatedLogConfig.DEFAULT_TOMBSTONE_RETENTION, false);
    }

    /**
     * Asks every acceptor for its lease view (the recovery tool): returns, per acceptor, "answered"
     * (followed by "; rejoined at ..., fence ..." for a member that rejoined after losing its disk)
     * or why it did not, and updates {@link #isOwnerLeaseLapsed} from the answers. Never starts a
     * takeover by itself.
     */
    public Map<String, String> probeReplicas() {
        Map<String, CompletableFuture<PaxosMessage>> asked = new java.util.TreeMap<>();
        for (String a : acceptors) {
            asked.put(a, send(a, new PaxosMessage.LeaseQuery()));
        }
        Map<String, String> result = new java.util.TreeMap<>();
        for (Map.Entry<String, CompletableFuture<PaxosMessage>> e : asked.entrySet()) {
            try {
                PaxosMessage m = e.getValue().get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
                if (m instanceof PaxosMessage.LeaseReport r) {
                    leaseViews.put(e.getKey(), new LeaseView(System.nanoTime(), r.millisSinceRenewal()));
                    result.put(e.getKey(), r.rejoined() ? ANSWERED + "; rejoined at "
                            + java.time.Instant.ofEpochMilli(r.rejoinedAtMillis()) + " after losing its disk, fence "
                            + java.time.Instant.ofEpochMilli(r.fenceMillis()) + ": it leaves transactions begun before"
                            + " the fence to the other members" : ANSWERED);
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

    /** What {@link #probeReplicas} says of an acceptor that answered (perhaps followed by its rejoin fence). */
    public static final String ANSWERED = "answered";

    /** This node's acceptor (null for a client). */
    public Acceptor acceptor() {
        return ownAcceptor;
    }

    // ------------------------------------------------------------------ CommitLog

    @Override
    public void logCommit(CommitRecord record) {
        checkOpen();
        String gtrid = record.gtrid();
        Attempt attempt = new Attempt(Proposal.coordinator(nextProposerId(), acceptors, PaxosValue.commit(record)),
                thriftyQuorum());
        PaxosValue value;
        try {
            value = attempt.run(commitTimeout);
        } catch (TimeoutException e) {
            throw CommitLogException.inDoubt("No majority of the replicated log's acceptors "
                    + acceptors + " confirmed the"
                    + " COMMIT of " + gtrid + " within " + commitTimeout + " (" + attempt.describeFailures() + "); its"
                    + " outcome is in doubt and recovery settles it through Paxos");
        }
        remember(gtrid, value);
        if (!value.isCommit()) {
            finishEverywhere(gtrid, value);
            if (attempt.isExpired()) {
                throw CommitLogException.notWritten("Transaction "
                        + gtrid + " began longer ago than the replicated log's"
                        + " tombstone retention (the horizon): the acceptors no longer create its instance, so it cannot"
                        + " commit and must roll back. Raise tombstoneRetention above the longest transaction");
            }
            throw CommitLogException.notWritten("Transaction "
                    + gtrid + " was decided ABORT through Paxos by a takeover"
                    + " (this coordinator was presumed dead); it must roll back");
        }
        unfinished.put(gtrid, value.commit());
    }

    /**
     * Sends a lazy FINISH to every acceptor: also to those that did not accept the COMMIT, since a
     * late round-0 accept may still reach them and must find the tombstone (issue 11, finding 3).
     */
    @Override
    public void logEnd(String gtrid) {
        CommitRecord record = unfinished.remove(gtrid);
        forgetDone(gtrid);
        if (record == null || closed) {
            return;
        }
        known.remove(gtrid);
        PaxosRequest finish = new PaxosRequest.Finish(gtrid, PaxosValue.commit(record), false);
        for (String a : acceptors) {
            outboxes.get(a).offerLazy(finish);
        }
    }

    @Override
    public void logEndForced(String gtrid) {
        CommitRecord record = unfinished.get(gtrid);
        if (record == null) {
            PaxosValue v = known.get(gtrid);
            if (v == null || !v.isCommit()) {
                return;
            }
            record = v.commit();
        }
        awaitQuorum(new PaxosRequest.Finish(gtrid, PaxosValue.commit(record), true), "the END of " + gtrid);
        unfinished.remove(gtrid);
        known.remove(gtrid);
        forgetDone(gtrid);
    }

    @Override
    public void logBranchDone(String gtrid, BranchRecord branch) {
        if (!unfinished.containsKey(gtrid)) {
            return;
        }
        awaitQuorum(new PaxosRequest.BranchDone(gtrid, branch), "finished branch " + branch + " of " + gtrid);
        doneBranches.computeIfAbsent(gtrid, g -> ConcurrentHashMap.newKeySet()).add(branch);
    }

    /**
     * From memory if this process recorded (or read) the branch finished; otherwise from the
     * acceptors (recovery asks this only for branches a database lists, and for commits it is
     * about to END, never on the commit path): finished if any of a majority reports it so, or if
     * one shows the transaction's tombstone. END is written only once every branch is finished
     * ({@link CommitLog#logEnd}), so a branch listed after it is not this commit's work: the local
     * log forgets the COMMIT at END and such a branch meets presumed abort; the tombstone, kept so
     * that a late takeover learns the chosen value, must not commit it either.
     *
     * @throws CommitLogException if no majority of acceptors answered: the branch may have been
     *     recorded finished, so neither answer is safe
     */
    @Override
    public boolean isBranchDone(String gtrid, BranchRecord branch) {
        Set<BranchRecord> cached = doneBranches.get(gtrid);
        if (cached != null && cached.contains(branch)) {
            return true;
        }
        checkOpen();
        Learner learner = read(gtrid, l -> l.finished() || l.heardFromMajority());
        if (learner.finished()) {
            return true;
        }
        if (!learner.heardFromMajority()) {
            throw CommitLogException.inDoubt("Cannot tell whether branch " + branch + " of transaction " + gtrid
                    + " is finished: only " + learner.answered() + " of the acceptors " + acceptors + " answered within "
                    + requestTimeout + " and a majority is needed; recovery leaves the branch for a later pass");
        }
        Set<BranchRecord> done = learner.doneBranches();
        if (!done.isEmpty() && unfinished.containsKey(gtrid)) {
            doneBranches.computeIfAbsent(gtrid, g -> ConcurrentHashMap.newKeySet()).addAll(done); // END drops them
        }
        return done.contains(branch);
    }

    @Override
    public Decision decision(String gtrid) {
        PaxosValue v = known.get(gtrid);
        if (v == null && !closed) {
            v = read(gtrid).chosen();
        }
        return v == null ? Decision.UNKNOWN : v.isCommit() ? Decision.COMMIT : Decision.ABORT;
    }

    /**
     * Decides {@code gtrid} if no decision is known: a takeover with a ballot above any seen,
     * carrying on an accepted value or proposing ABORT. A chosen COMMIT becomes this node's
     * unfinished work (recovery commits its branches and ENDs it).
     *
     * @throws CommitLogException if no majority answered within the commit timeout
     */
    @Override
    public Decision settle(String gtrid) {
        checkOpen();
        PaxosValue v = known.get(gtrid);
        Ballot seen = null;
        if (v == null) {
            Learner learner = read(gtrid);
            v = learner.chosen();
            seen = learner.highestSeen();
            if (learner.finished() || learner.expired()) {
                // Nothing to decide: finished (every branch has its outcome), or past the horizon at a
                // majority (nothing can be chosen any more: presumed abort). Only finish the stragglers.
                PaxosValue outcome = learner.finished() ? v : PaxosValue.abort();
                finishEverywhere(gtrid, outcome);
                LOG.info("Transaction {} needs no decision: {}", gtrid, learner.finished() ? "finished "
                        + (outcome.isCommit() ? "COMMIT" : "ABORT") : "past the horizon at a majority of acceptors"
                        + " (nothing can be chosen any more): ABORT");
                remember(gtrid, outcome);
                return outcome.isCommit() ? Decision.COMMIT : Decision.ABORT;
            }
        }
        if (v == null) {
            Attempt attempt = new Attempt(Proposal.takeover(gtrid, nextProposerId(), acceptors, seen), acceptors);
            try {
                v = attempt.run(commitTimeout);
            } catch (TimeoutException e) {
                throw CommitLogException.inDoubt("Could not settle transaction "
                        + gtrid + " through Paxos: no majority of "
                        + acceptors + " answered within " + commitTimeout + " (" + attempt.describeFailures() + ")");
            }
            LOG.info("Takeover by {} decided transaction {}: {}", self, gtrid, attempt.isExpired()
                    ? "ABORT (past the horizon at a majority of acceptors: nothing can be chosen any more)"
                    : v.isCommit() ? "COMMIT" : "ABORT");
        }
        remember(gtrid, v);
        if (!v.isCommit()) {
            finishEverywhere(gtrid, v);
        }
        if (v.isCommit()) {
            unfinished.putIfAbsent(gtrid, v.commit());
        }
        return v.isCommit() ? Decision.COMMIT : Decision.ABORT;
    }

    @Override
    public List<CommitRecord> unfinished() {
        if (!ownScanDone && !closed && ownAcceptor != null) {
            ownScanDone = takeOverInstancesOf(self);
        }
        List<CommitRecord> list = new ArrayList<>(unfinished.values());
        list.sort(Comparator.comparingLong(CommitRecord::decidedAtMillis));
        return list;
    }

    @Override
    public boolean settlesInDoubt() {
        return true;
    }

    @Override
    public boolean isOwnerLeaseLapsed(String nodeId) {
        return lapsed.contains(nodeId);
    }

    @Override
    public void onTakeoverNeeded(Runnable trigger) {
        this.takeoverTrigger = trigger;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        timer.shutdownNow();
        leaseSenders.shutdownNow();
        takeovers.shutdownNow();
        for (Outbox o : outboxes.values()) {
            o.stop();
        }
        transport.close();
        if (ownAcceptor != null) {
            ownAcceptor.close();
        }
    }

    // ------------------------------------------------------------------ reading, replicas

    /** The answers of a majority read (or all that answered within the request timeout). */
    public Learner read(String gtrid) {
        return read(gtrid, l -> l.chosen() != null);
    }

    /**
     * Asks every acceptor about {@code gtrid} and returns once {@code enough} holds, every acceptor
     * answered or failed, or the request timeout passed: what answered in time is what is known.
     */
    private Learner read(String gtrid, java.util.function.Predicate<Learner> enough) {
        Learner learner = new Learner(gtrid, acceptors);
        CompletableFuture<Void> done = new CompletableFuture<>();
        Object lock = new Object();
        int[] answered = {0};
        boolean[] returned = {false};
        broadcast(new PaxosRequest.Read(gtrid), new Sink() {
            @Override
            public void reply(String acceptor, PaxosReply reply) {
                synchronized (lock) {
                    if (returned[0]) {
                        return; // the caller reads the learner without the lock now
                    }
                    learner.onReply(acceptor, reply);
                    answered[0]++;
                    if (enough.test(learner) || answered[0] == acceptors.size()) {
                        done.complete(null);
                    }
                }
            }

            @Override
            public void failed(String acceptor, Throwable cause) {
                synchronized (lock) {
                    answered[0]++;
                    if (answered[0] == acceptors.size()) {
                        done.complete(null);
                    }
                }
            }
        });
        try {
            done.get(requestTimeout.toMillis() + 100, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // what answered in time is what we know
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            returned[0] = true;
            return learner;
        }
    }

    /**
     * Settles every accepted, unfinished instance of {@code owner}'s transactions that a majority
     * of acceptors know of; returns false if no majority answered (try again later).
     */
    public boolean takeOverInstancesOf(String owner) {
        return settleListed(owner, gtrid -> !(owner.equals(self) && isOfThisRun(gtrid)));
    }

    /**
     * Finishes this node's own instances that an acceptor still lists as accepted and unfinished
     * although they began before the horizon and this node is not finishing them: an acceptor
     * missed their FINISH (it was down or cut off), or a late accept reached it afterwards.
     * Without this, such state would stay until this node restarts.
     */
    private void sweepOwnStragglers() {
        if (closed) {
            return;
        }
        long horizon = System.currentTimeMillis() - horizonMillis;
        try {
            settleListed(self, gtrid -> !unfinished.containsKey(gtrid) && beganBefore(gtrid, horizon));
        } catch (RuntimeException e) {
            LOG.debug("Sweeping the stragglers of node {} failed: {}", self, e.toString());
        }
    }

    private static boolean beganBefore(String gtrid, long millis) {
        try {
            return QuorumXid.beginMillis(gtrid) < millis;
        } catch (IllegalArgumentException notOurs) {
            return false;
        }
    }

    /** Sends a FINISH of the chosen (or presumed) {@code value} to every acceptor, unforced; nobody waits for it. */
    private void finishEverywhere(String gtrid, PaxosValue value) {
        if (closed) {
            return;
        }
        PaxosRequest finish = new PaxosRequest.Finish(gtrid, value, false);
        for (String a : acceptors) {
            outboxes.get(a).offer(finish, (acceptor, reply) -> { });
        }
    }

    private boolean settleListed(String owner, java.util.function.Predicate<String> needsSettling) {
        Set<String> gtrids = new HashSet<>();
        int answers = 0;
        Map<String, CompletableFuture<PaxosMessage>> replies = new HashMap<>();
        for (String a : acceptors) {
            replies.put(a, send(a, new PaxosMessage.ListAccepted(owner)));
        }
        for (Map.Entry<String, CompletableFuture<PaxosMessage>> e : replies.entrySet()) {
            try {
                PaxosMessage m = e.getValue().get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
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
        if (answers < quorum) {
            LOG.warn("Only {} of {} acceptors listed the unfinished transactions of node {}; a majority is needed, will"
                    + " try again", answers, acceptors.size(), owner);
            return false;
        }
        gtrids.removeIf(needsSettling.negate()); // e.g. this process's own commit path decides those of this run
        for (String gtrid : gtrids) {
            try {
                settle(gtrid);
            } catch (CommitLogException e) {
                LOG.warn("Could not settle transaction {} of node {}: {}", gtrid, owner, e.getMessage());
                return false;
            }
        }
        if (!gtrids.isEmpty()) {
            LOG.info("Node {} settled {} unfinished transaction(s) of node {} through Paxos", self, gtrids.size(), owner);
        }
        return true;
    }

    /** Begun after this log was opened: a transaction of this process, which it decides itself. */
    private boolean isOfThisRun(String gtrid) {
        try {
            return QuorumXid.beginMillis(gtrid) >= openedAtMillis;
        } catch (IllegalArgumentException notOurs) {
            return false;
        }
    }

    // ------------------------------------------------------------------ leases

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    private void leaseTick() {
        try {
            for (String a : acceptors) {
                java.util.concurrent.atomic.AtomicBoolean busy = leaseBusy.get(a);
                if (!busy.compareAndSet(false, true)) {
                    continue; // the last renewal to this acceptor is still connecting
                }
                leaseSenders.execute(() -> {
                    try {
                        send(a, new PaxosMessage.Renew(self));
                        send(a, new PaxosMessage.LeaseQuery()).thenAccept(m -> {
                            if (m instanceof PaxosMessage.LeaseReport r) {
                                leaseViews.put(a, new LeaseView(System.nanoTime(), r.millisSinceRenewal()));
                            }
                        });
                    } catch (RuntimeException e) {
                        LOG.debug("Lease message of node {} to {} failed: {}", self, a, e.toString());
                    } finally {
                        busy.set(false);
                    }
                });
            }
            updateLapsed();
        } catch (RuntimeException e) {
            LOG.warn("Lease renewal of node {} failed: {}", self, e.toString());
        }
    }

    private void updateLapsed() {
        long now = System.nanoTime();
        long leaseMillis = lease.toMillis();
        Set<String> nowLapsed = new HashSet<>();
        for (String node : acceptors) {
            if (node.equals(self)) {
                continue;
            }
            int silent = 0;
            for (LeaseView v : leaseViews.values()) {
                long age = TimeUnit.NANOSECONDS.toMillis(now - v.receivedNanos());
                Long since = v.millisSince().get(node);
                if (age <= 2 * leaseMillis && since != null && since + age > leaseMillis) {
                    silent++;
                }
            }
            if (silent >= quorum) {
                nowLapsed.add(node);
            }
        }
        for (String node : nowLapsed) {
            if (lapsed.add(node) && ownAcceptor != null) {
                LOG.warn("The lease of node {} has lapsed (a majority of acceptors has not heard from it for {}); node {}"
                        + " takes over its unfinished transactions", node, lease, self);
                takeovers.execute(() -> {
                    if (takeOverInstancesOf(node)) {
                        takeoverTrigger.run();
                    } else {
                        lapsed.remove(node); // try again on the next tick
                    }
                });
            }
        }
        lapsed.retainAll(nowLapsed);
    }

    // ------------------------------------------------------------------ proposing

    /**
     * Thrifty Paxos for the commit path: round-0 accepts go first to a bare majority (this node's
     * acceptor and the first healthy others), so in the common case one remote acceptor forces
     * and answers per batch instead of all; the rest are asked when one of those fails or does
     * not answer within {@value #THRIFTY_NANOS} ns. Safety does not depend on whom is asked.
     */
    private Set<String> thriftyQuorum() {
        List<String> order = new ArrayList<>();
        if (ownAcceptor != null) {
            order.add(self);
        }
        long now = System.nanoTime();
        for (String a : new java.util.TreeSet<>(acceptors)) {
            Long until = unhealthyUntil.get(a);
            if (!a.equals(self) && (until == null || until - now < 0)) {
                order.add(a);
            }
        }
        return order.size() < quorum ? acceptors : Set.copyOf(order.subList(0, quorum));
    }

    private void flushLazy() {
        for (Outbox o : outboxes.values()) {
            o.flushLazy();
        }
    }

    private String nextProposerId() {
        return proposerBase + "." + Long.toString(proposals.incrementAndGet(), 36);
    }

    private void remember(String gtrid, PaxosValue v) {
        if (known.size() > KNOWN_LIMIT) {
            known.keySet().removeIf(g -> !unfinished.containsKey(g));
        }
        known.put(gtrid, v);
    }

    private void checkOpen() {
        if (closed) {
            throw CommitLogException.notWritten("The replicated commit log of node " + self + " is closed");
        }
    }

    private void awaitQuorum(PaxosRequest request, String what) {
        checkOpen();
        CompletableFuture<Void> done = new CompletableFuture<>();
        Set<String> acks = ConcurrentHashMap.newKeySet();
        broadcast(request, (a, r) -> {
            if (r.ok() || r.finished()) {
                acks.add(a);
                if (acks.size() >= quorum) {
                    done.complete(null);
                }
            }
        });
        try {
            done.get(commitTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw CommitLogException.inDoubt("No majority of the acceptors "
                    + acceptors + " confirmed " + what + " within "
                    + commitTimeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CommitLogException.inDoubt("Interrupted while waiting for " + what, e);
        }
    }

    private void forgetDone(String gtrid) {
        doneBranches.remove(gtrid);
    }

    private CompletableFuture<PaxosMessage> send(String acceptor, PaxosMessage message) {
        if (ownAcceptor != null && acceptor.equals(self)) {
            return ownAcceptor.handle(self, message);
        }
        return transport.send(acceptor, message);
    }

    /** Where the answers to a request go, one call per acceptor (a reply or a failure). */
    private interface Sink {
        void reply(String acceptor, PaxosReply reply);

        default void failed(String acceptor, Throwable cause) {
        }
    }

    private void broadcast(PaxosRequest request, Sink sink) {
        for (String a : acceptors) {
            outboxes.get(a).offer(request, sink);
        }
    }

    /** One proposal being driven to a chosen value. */
    private final class Attempt implements Sink {
        private final Proposal proposal;
        private final Set<String> firstTargets;
        private final CompletableFuture<PaxosValue> result = new CompletableFuture<>();
        private final Map<String, String> failures = new ConcurrentHashMap<>();
        private long progressNanos;
        /** The first requests, not yet sent to the acceptors outside {@link #firstTargets}; null once they were. */
        private List<PaxosRequest> heldBack;
        /** The requests of the current phase and ballot, and the acceptors that failed them (not refused). */
        private List<PaxosRequest> current = List.of();
        private final Set<String> currentFailures = new java.util.HashSet<>();
        private boolean resendScheduled;

        Attempt(Proposal proposal, Set<String> firstTargets) {
            this.proposal = proposal;
            this.firstTargets = firstTargets;
        }

        boolean isExpired() {
            synchronized (this) {
                return proposal.isExpired();
            }
        }

        PaxosValue run(Duration limit) throws TimeoutException {
            long deadline = System.nanoTime() + limit.toNanos();
            List<PaxosRequest> first;
            synchronized (this) {
                first = proposal.start();
                current = first;
                progressNanos = System.nanoTime();
                if (firstTargets.size() < acceptors.size()) {
                    heldBack = first;
                }
            }
            for (PaxosRequest r : first) {
                for (String a : firstTargets) {
                    outboxes.get(a).offer(r, this);
                }
            }
            boolean thrifty = heldBack != null;
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException();
                }
                long wait = Math.min(left, thrifty ? THRIFTY_NANOS : requestTimeout.toNanos());
                try {
                    return result.get(wait, TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    if (thrifty) {
                        thrifty = false;
                        releaseHeldBack(); // the bare majority was slow: ask everyone
                        continue;
                    }
                    retry(); // no decision within a request timeout: a higher ballot
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TimeoutException();
                }
            }
        }

        @Override
        public void reply(String acceptor, PaxosReply reply) {
            List<PaxosRequest> next;
            boolean rejected;
            synchronized (this) {
                next = proposal.onReply(acceptor, reply);
                if (proposal.isChosen()) {
                    result.complete(proposal.chosen());
                    return;
                }
                rejected = proposal.isRejected();
                if (!next.isEmpty()) {
                    progressNanos = System.nanoTime();
                    current = next;
                    currentFailures.clear();
                }
            }
            if (!reply.ok() || !next.isEmpty()) {
                releaseHeldBack();
            }
            send(next);
            if (rejected) {
                long jitter = ThreadLocalRandom.current().nextLong(5, 50);
                timer.schedule(this::retry, jitter, TimeUnit.MILLISECONDS); // duelling proposers back off
            }
        }

        /**
         * An acceptor could not be asked (unreachable, refused the message, timed out). When so many
         * failed that no majority can answer the current requests, they are sent again to every
         * acceptor shortly (a peer that was restarting, or a connection in back-off, is back in
         * milliseconds, not after a whole request timeout). Resending the same ballot is harmless.
         */
        @Override
        public void failed(String acceptor, Throwable cause) {
            failures.put(acceptor, String.valueOf(cause.getMessage()));
            unhealthyUntil.put(acceptor, System.nanoTime() + UNHEALTHY_NANOS);
            releaseHeldBack();
            synchronized (this) {
                currentFailures.add(acceptor);
                if (result.isDone() || resendScheduled || currentFailures.size() <= acceptors.size() - quorum) {
                    return;
                }
                resendScheduled = true;
            }
            try {
                timer.schedule(this::resend, 50, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // the log is closing; the caller's deadline ends the attempt
            }
        }

        private void resend() {
            List<PaxosRequest> again;
            synchronized (this) {
                resendScheduled = false;
                if (result.isDone()) {
                    return;
                }
                currentFailures.clear();
                heldBack = null;
                again = current;
            }
            send(again);
        }

        /** Sends the first requests to the acceptors a thrifty start passed over (once). */
        private void releaseHeldBack() {
            List<PaxosRequest> held;
            synchronized (this) {
                held = heldBack;
                heldBack = null;
            }
            if (held == null || result.isDone()) {
                return;
            }
            for (PaxosRequest r : held) {
                for (String a : acceptors) {
                    if (!firstTargets.contains(a)) {
                        outboxes.get(a).offer(r, this);
                    }
                }
            }
        }

        private void retry() {
            List<PaxosRequest> next;
            synchronized (this) {
                if (result.isDone() || !proposal.isRejected()
                        && System.nanoTime() - progressNanos < requestTimeout.toNanos()) {
                    return;
                }
                next = proposal.retry();
                progressNanos = System.nanoTime();
                heldBack = null; // the retry's prepares go to everyone
                current = next;
                currentFailures.clear();
            }
            send(next);
        }

        private void send(List<PaxosRequest> requests) {
            for (PaxosRequest r : requests) {
                broadcast(r, this);
            }
        }

        String describeFailures() {
            return failures.isEmpty() ? "no errors, only silence" : "errors: " + failures;
        }
    }

    /** Requests to one acceptor, batched: one message in flight, the next batch queues behind it. */
    /**
     * Requests to one acceptor, batched without a thread of its own: whichever caller finds the
     * outbox idle sends everything queued as one message (group commit's leader/follower), up to
     * {@value #MAX_IN_FLIGHT} messages in flight; while they are, requests queue up and the next
     * completion sends them as the next batch. Answers are dispatched by the thread that completes
     * them (the acceptor's, or the connection's reader), so neither a request nor a reply waits for
     * a thread hand-off of ours. The queue is bounded.
     */
    private final class Outbox {
        private final String acceptor;
        private final java.util.concurrent.ConcurrentLinkedQueue<Object[]> queue =
                new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final java.util.concurrent.atomic.AtomicInteger queued = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(MAX_IN_FLIGHT);
        private final java.util.concurrent.atomic.AtomicBoolean draining = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile boolean stopped;

        Outbox(String acceptor) {
            this.acceptor = acceptor;
        }

        void offer(PaxosRequest request, Sink sink) {
            if (stopped || queued.incrementAndGet() > OUTBOX_CAPACITY) {
                queued.decrementAndGet();
                sink.failed(acceptor, new IOException("the outbox to acceptor " + acceptor + " is "
                        + (stopped ? "closed" : "full")));
                return;
            }
            queue.add(new Object[] {request, sink});
            drain();
        }

        private final java.util.concurrent.ConcurrentLinkedQueue<Object[]> lazy =
                new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final Sink ignore = (a, r) -> { };

        /** Queues a request nobody waits for: it rides with the next batch, or the periodic flush sends it. */
        void offerLazy(PaxosRequest request) {
            if (stopped || queued.incrementAndGet() > OUTBOX_CAPACITY) {
                queued.decrementAndGet();
                return; // lazy: a lost FINISH only leaves the instance for recovery to finish later
            }
            lazy.add(new Object[] {request, ignore});
        }

        void flushLazy() {
            if (!lazy.isEmpty()) {
                queue.add(lazy.poll()); // one lazy item in the main queue makes drain() send them all
                drain();
            }
        }

        void stop() {
            stopped = true;
            List<Object[]> left = new ArrayList<>();
            for (Object[] item = queue.poll(); item != null; item = queue.poll()) {
                left.add(item);
            }
            dispatch(left, null, new IOException("the replicated log of " + self + " is closed"));
        }

        /** Sends queued requests while a message slot is free; exactly one thread sends at a time. */
        private void drain() {
            while (!queue.isEmpty() && inFlight.availablePermits() > 0 && draining.compareAndSet(false, true)) {
                try {
                    while (!queue.isEmpty() && inFlight.tryAcquire()) {
                        List<Object[]> batch = new ArrayList<>();
                        for (Object[] item = queue.poll(); item != null; item = batch.size() < MAX_BATCH
                                ? queue.poll() : null) {
                            batch.add(item);
                        }
                        for (Object[] item = batch.size() < MAX_BATCH ? lazy.poll() : null; item != null;
                             item = batch.size() < MAX_BATCH ? lazy.poll() : null) {
                            batch.add(item);
                        }
                        queued.addAndGet(-batch.size());
                        if (batch.isEmpty()) {
                            inFlight.release();
                            break;
                        }
                        sendBatch(batch);
                    }
                } finally {
                    draining.set(false);
                }
            }
        }

        private void sendBatch(List<Object[]> batch) {
            List<PaxosRequest> requests = new ArrayList<>(batch.size());
            for (Object[] item : batch) {
                requests.add((PaxosRequest) item[0]);
            }
            CompletableFuture<PaxosMessage> reply;
            try {
                reply = send(acceptor, new PaxosMessage.Requests(requests));
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            }
            reply.whenComplete((answer, failure) -> {
                inFlight.release();
                dispatch(batch, answer, failure);
                drain();
            });
        }

        private void dispatch(List<Object[]> batch, PaxosMessage answer, Throwable failure) {
            if (answer instanceof PaxosMessage.Replies replies && replies.replies().size() == batch.size()) {
                for (int i = 0; i < batch.size(); i++) {
                    deliver(batch.get(i), replies.replies().get(i));
                }
                return;
            }
            Throwable why = failure instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                    ? c.getCause() : failure;
            if (why instanceof TimeoutException) {
                why = new IOException("acceptor " + acceptor + " did not answer within " + requestTimeout);
            } else if (why == null) {
                why = new IOException(answer instanceof PaxosMessage.Error err ? err.message()
                        : "unexpected answer " + answer);
            }
            for (Object[] item : batch) {
                try {
                    ((Sink) item[1]).failed(acceptor, why);
                } catch (RuntimeException e) {
                    LOG.error("Handling a failure of acceptor {} failed", acceptor, e);
                }
            }
        }

        private void deliver(Object[] item, PaxosReply reply) {
            try {
                ((Sink) item[1]).reply(acceptor, reply);
            } catch (RuntimeException e) {
                LOG.error("Handling a reply of acceptor {} failed", acceptor, e);
            }
        }
    }
}
