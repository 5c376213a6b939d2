package io.quorumtx.tm.paxos;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
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
 * force of the local log does. {@link ProposalRun} drives a proposal, thrifty at first (a bare
 * majority is asked).
 *
 * <p><b>Batching.</b> Requests to one acceptor go through its {@link Outbox}, which has no thread
 * of its own: the caller that finds it idle sends everything queued as one message (the acceptor
 * forces once for all of it), up to a few messages in flight, while the next batch queues up.
 * Outboxes are bounded. {@link Replicas} holds them and reads or waits for a majority.
 *
 * <p><b>Learning and takeover.</b> {@link #decision} reads a majority (COMMIT/ABORT if they show
 * a chosen value, else UNKNOWN); {@link #settle} runs a takeover with a higher ballot that
 * carries on an accepted value or proposes ABORT. Recovery settles only transactions whose
 * owner cannot decide any more.
 *
 * <p><b>Leases</b> ({@link Leases}). Every member renews its lease at every acceptor each third of
 * the lease; {@link #isOwnerLeaseLapsed} is true when a majority of acceptors have not heard from the
 * node for a whole lease by their own clocks. When a member's lease lapses this node settles that
 * member's accepted, unfinished instances ({@link Takeovers}), adds the COMMITs to its own unfinished
 * work and asks recovery for a pass ({@link #onTakeoverNeeded}).
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
 *
 * <p><b>Threads.</b> The {@link CommitLog} methods run on, and block, their caller's thread (an
 * application's commit, recovery), which also sends the outboxes' batches. Acceptors' answers are
 * handled on the thread that completes them: this node's acceptor's own thread, or a connection's
 * reader; it feeds the proposal runs and reads, and sends the outbox's next batch. The log owns
 * three more: {@code quorumtx-paxos-timer-<node>} (lease ticks, the lazy-FINISH flush, proposals'
 * backed-off retries and resends, and the timing of the straggler sweep),
 * {@code quorumtx-paxos-lease-<node>} (one per acceptor: lease messages, so a hanging peer delays
 * only its own) and {@code quorumtx-paxos-takeover-<node>} (settling a lapsed member's instances, and
 * the sweep). The per-transaction state below is in concurrent maps, written by callers and by the
 * takeover thread. A client ({@link #client}) has no acceptor of its own and neither renews a lease
 * nor takes over by itself.
 */
public final class ReplicatedCommitLog implements CommitLog {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedCommitLog.class);
    /** Lazy FINISHes ride with the next batch of requests, or go on their own after this long. */
    private static final long LAZY_FLUSH_MILLIS = 20;
    private static final int KNOWN_LIMIT = 100_000;

    /** What {@link #probeReplicas} says of an acceptor that answered (perhaps followed by its rejoin fence). */
    public static final String ANSWERED = "answered";

    private final String self;
    private final String proposerBase;
    private final AtomicLong proposals = new AtomicLong();
    private final Set<String> acceptors;
    private final Replicas replicas;
    private final Duration commitTimeout;
    /** This node's COMMITs not yet ENDed (its own, or taken over), by gtrid. */
    private final Map<String, CommitRecord> unfinished = new ConcurrentHashMap<>();
    /** Chosen (or concluded) values learned by this process, by gtrid; bounded by {@value #KNOWN_LIMIT}. */
    private final Map<String, PaxosValue> known = new ConcurrentHashMap<>();
    private final FinishedBranches finishedBranches;
    private final ScheduledExecutorService timer;
    private final Leases leases;
    private final Takeovers takeovers;
    private volatile boolean ownScanDone;
    private volatile boolean closed;

    /** With {@code ownAcceptor} (a member) the log renews its lease, flushes lazy FINISHes and sweeps. */
    @SuppressWarnings("FutureReturnValueIgnored") // periodic tasks of the timer, cancelled by close() shutting it down; nobody waits on them
    private ReplicatedCommitLog(String self, Set<String> acceptors, Acceptor ownAcceptor, PaxosTransport transport,
                                Duration requestTimeout, Duration commitTimeout, Duration lease, Duration horizon) {
        long openedAtMillis = System.currentTimeMillis();
        this.self = self;
        this.proposerBase = self + "." + Long.toString(System.currentTimeMillis(), 36) + "."
                + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
        this.acceptors = Set.copyOf(acceptors);
        this.commitTimeout = commitTimeout;
        this.replicas = new Replicas(self, this.acceptors, ownAcceptor, transport, requestTimeout);
        this.finishedBranches = new FinishedBranches(replicas, commitTimeout, unfinished::containsKey);
        this.timer = Executors.newSingleThreadScheduledExecutor(daemonThreads("quorumtx-paxos-timer-" + self));
        this.leases = new Leases(replicas, lease, ownAcceptor == null ? null : this::takeOverLapsed);
        long horizonMillis = horizon.toMillis();
        this.takeovers = new Takeovers(replicas, this::settle, unfinished::containsKey, () -> closed, horizonMillis,
                openedAtMillis);
        if (ownAcceptor != null) {
            long period = Math.max(1, lease.toMillis() / 3);
            timer.scheduleWithFixedDelay(leases::tick, 0, period, TimeUnit.MILLISECONDS);
            timer.scheduleWithFixedDelay(replicas::flushLazy, LAZY_FLUSH_MILLIS, LAZY_FLUSH_MILLIS,
                    TimeUnit.MILLISECONDS);
            long sweep = Math.max(1000, horizonMillis / 2);
            timer.scheduleWithFixedDelay(takeovers::sweepSoon, sweep, sweep, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Opens this member's acceptor (its data directory), starts serving it (TCP or in-process),
     * and returns the log. Nothing is proposed yet; this node's own unfinished transactions of
     * earlier runs are found on the first {@link #unfinished()}.
     */
    public static ReplicatedCommitLog open(ReplicatedLogConfig config) {
        ClusterConfig cluster = config.cluster();
        ServedAcceptor served = ServedAcceptor.start(config);
        LOG.info("Replicated commit log of node {} started: {} members {}, quorum {}", cluster.self(),
                cluster.members().size(), cluster.members().keySet(), cluster.quorum());
        return new ReplicatedCommitLog(cluster.self(), cluster.members().keySet(), served.acceptor(),
                served.transport(), config.requestTimeout(), config.commitTimeout(), config.lease(),
                config.tombstoneRetention());
    }

    /**
     * A proposer and learner without an acceptor of its own (the recovery tool): reads decisions
     * from a majority and can take over, through {@code transport}.
     */
    static ReplicatedCommitLog client(String proposerId, Set<String> acceptors, PaxosTransport transport,
                                             Duration requestTimeout) {
        return client(proposerId, acceptors, transport, requestTimeout, ReplicatedLogConfig.DEFAULT_LEASE);
    }

    /** As {@link #client(String, Set, PaxosTransport, Duration)}, judging leases by the members' {@code lease}. */
    static ReplicatedCommitLog client(String proposerId, Set<String> acceptors, PaxosTransport transport,
                                             Duration requestTimeout, Duration lease) {
        return new ReplicatedCommitLog(proposerId, acceptors, null, transport, requestTimeout,
                requestTimeout.multipliedBy(3), lease, ReplicatedLogConfig.DEFAULT_TOMBSTONE_RETENTION);
    }

    /**
     * Asks every acceptor for its lease view (the recovery tool): returns, per acceptor, "answered"
     * (followed by "; rejoined at ..., fence ..." for a member that rejoined after losing its disk)
     * or why it did not, and updates {@link #isOwnerLeaseLapsed} from the answers. Never starts a
     * takeover by itself.
     */
    public Map<String, String> probeReplicas() {
        return leases.probe();
    }

    /** This node's acceptor (null for a client). */
    Acceptor acceptor() {
        return replicas.ownAcceptor();
    }

    /** How much this member's own acceptor wrote and how often it forced (the benchmark's batching figure). */
    public record AcceptorCounters(long forces, long recordsWritten) {
    }

    /**
     * What this member's own acceptor holds of one transaction (tests, figures): the ballot it last
     * accepted a value at, as text (null: none; equal texts are one ballot), and whether the
     * instance is finished (a tombstone).
     */
    public record AcceptorCopy(String acceptedBallot, boolean finished) {
    }

    /** This member's acceptor's counters since it opened. */
    public AcceptorCounters acceptorCounters() {
        Acceptor own = ownAcceptorOrFail();
        return new AcceptorCounters(own.forces(), own.recordsWritten());
    }

    /** What this member's acceptor holds of {@code gtrid} (read on its thread), or null if nothing. */
    public AcceptorCopy acceptorCopy(String gtrid) {
        AcceptorState.Slot slot = ownAcceptorOrFail().slot(gtrid);
        return slot == null ? null : new AcceptorCopy(slot.acceptedBallot() == null ? null
                : slot.acceptedBallot().toString(), slot.finished());
    }

    /**
     * The rejoin fence of this member's acceptor ({@link StartMode#REJOIN}): it leaves transactions
     * begun before this instant to the other members; empty if it never rejoined.
     */
    public Optional<Instant> rejoinFence() {
        AcceptorRecord.Rejoined fence = ownAcceptorOrFail().rejoined();
        return fence == null ? Optional.empty() : Optional.of(Instant.ofEpochMilli(fence.fenceMillis()));
    }

    private Acceptor ownAcceptorOrFail() {
        Acceptor own = replicas.ownAcceptor();
        if (own == null) {
            throw new IllegalStateException("this replicated-log client (" + self + ") has no acceptor of its own");
        }
        return own;
    }

    /** The transport to the other members' acceptors (for tests). */
    PaxosTransport transport() {
        return replicas.transport();
    }

    // ------------------------------------------------------------------ CommitLog

    @Override
    public void logCommit(CommitRecord record) {
        checkOpen();
        String gtrid = record.gtrid();
        ProposalRun attempt = new ProposalRun(Proposal.coordinator(nextProposerId(), acceptors,
                PaxosValue.commit(record)), replicas.thriftyQuorum(), replicas, timer);
        PaxosValue value;
        try {
            value = attempt.run(commitTimeout);
        } catch (TimeoutException e) {
            throw CommitLogException.inDoubt("No majority of the replicated log's acceptors " + acceptors
                    + " confirmed the COMMIT of " + gtrid + " within " + commitTimeout + " ("
                    + attempt.describeFailures() + "); its outcome is in doubt and recovery settles it through Paxos");
        }
        remember(gtrid, value);
        if (!value.isCommit()) {
            finishEverywhere(gtrid, value);
            if (attempt.isExpired()) {
                throw CommitLogException.notWritten("Transaction " + gtrid + " began longer ago than the"
                        + " replicated log's tombstone retention (the horizon): the acceptors no longer create its"
                        + " instance, so it cannot commit and must roll back. Raise tombstoneRetention above the"
                        + " longest transaction");
            }
            throw CommitLogException.notWritten("Transaction " + gtrid + " was decided ABORT through Paxos by a"
                    + " takeover (this coordinator was presumed dead); it must roll back");
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
        finishedBranches.forget(gtrid);
        if (record == null || closed) {
            return;
        }
        known.remove(gtrid);
        replicas.broadcastLazy(PaxosRequest.Finish.lazy(gtrid, PaxosValue.commit(record)));
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
        awaitQuorum(PaxosRequest.Finish.forced(gtrid, PaxosValue.commit(record)), "the END of " + gtrid);
        unfinished.remove(gtrid);
        known.remove(gtrid);
        finishedBranches.forget(gtrid);
    }

    @Override
    public void logBranchDone(String gtrid, BranchRecord branch) {
        if (!unfinished.containsKey(gtrid)) {
            return;
        }
        checkOpen();
        finishedBranches.record(gtrid, branch);
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
        if (finishedBranches.remembers(gtrid, branch)) {
            return true;
        }
        checkOpen();
        return finishedBranches.read(gtrid, branch);
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
            ProposalRun attempt = new ProposalRun(Proposal.takeover(gtrid, nextProposerId(), acceptors, seen),
                    acceptors, replicas, timer);
            try {
                v = attempt.run(commitTimeout);
            } catch (TimeoutException e) {
                throw CommitLogException.inDoubt("Could not settle transaction " + gtrid + " through Paxos: no"
                        + " majority of " + acceptors + " answered within " + commitTimeout + " ("
                        + attempt.describeFailures() + ")");
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
        if (!ownScanDone && !closed && replicas.ownAcceptor() != null) {
            ownScanDone = takeovers.takeOverInstancesOf(self);
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
        return leases.isLapsed(nodeId);
    }

    @Override
    public void onTakeoverNeeded(Runnable trigger) {
        takeovers.onTakeoverNeeded(trigger);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        timer.shutdownNow();
        leases.shutdownNow();
        takeovers.shutdownNow();
        replicas.stopOutboxes();
        replicas.transport().close();
        if (replicas.ownAcceptor() != null) {
            replicas.ownAcceptor().close();
        }
    }

    // ------------------------------------------------------------------ reading, taking over

    /** The answers of a majority read (or all that answered within the request timeout). */
    Learner read(String gtrid) {
        return replicas.read(gtrid, l -> l.chosen() != null);
    }

    /**
     * Settles every accepted, unfinished instance of {@code owner}'s transactions that a majority
     * of acceptors know of; returns false if no majority answered (try again later).
     */
    public boolean takeOverInstancesOf(String owner) {
        return takeovers.takeOverInstancesOf(owner);
    }

    /** A member's lease lapsed: settle its instances on the takeover thread, or judge it again on the next tick. */
    private void takeOverLapsed(String node) {
        takeovers.takeOverLapsed(node, () -> leases.retryLater(node));
    }

    /** Sends a FINISH of the chosen (or presumed) {@code value} to every acceptor, unforced; nobody waits for it. */
    private void finishEverywhere(String gtrid, PaxosValue value) {
        if (closed) {
            return;
        }
        replicas.broadcast(PaxosRequest.Finish.lazy(gtrid, value), ReplySink.IGNORE);
    }

    private void awaitQuorum(PaxosRequest request, String what) {
        checkOpen();
        replicas.awaitQuorum(request, what, commitTimeout);
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

    static ThreadFactory daemonThreads(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
