package io.quorumtx.tm.internal;

import io.quorumtx.tm.protocol.HeuristicOutcome;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.CommitProtocolType;
import io.quorumtx.tm.protocol.CommitProtocol;
import io.quorumtx.tm.xid.XidFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one transaction manager instance shares between its transactions: the Xid source,
 * the commit protocol, the commit log, registered resources, recorded heuristics and the
 * timeout reaper.
 *
 * <p>The reaper is one scheduled daemon thread that scans the set of live transactions once per
 * interval, rather than a timer per transaction: begin and completion cost one concurrent-set
 * insert and remove, and an idle manager costs one wake-up per interval. Whether the reaper or
 * the committing thread gets to act is settled by a compare-and-set on the transaction's state
 * (see {@link QuorumTransaction}), never by a lock held across XA calls.
 */
public final class TransactionEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionEngine.class);

    final String nodeId;
    final XidFactory xids;
    private final CommitProtocol twoPhase;
    private final CommitProtocol threePhase;
    final CommitProtocolType defaultProtocol;
    private final CommitLog log;
    private final long defaultTimeoutNanos;
    private final ConcurrentHashMap<String, QuorumTransaction> live = new ConcurrentHashMap<>();
    private final List<HeuristicOutcome> heuristics = new CopyOnWriteArrayList<>();
    /** The heuristic outcomes no operator has acknowledged yet (see {@link #acknowledgeHeuristics}). */
    private final List<HeuristicOutcome> heuristicsWaiting = new CopyOnWriteArrayList<>();
    /** Null when no observer is registered: the commit path then reads this field and nothing else. */
    volatile Observers observers;
    private final ConcurrentHashMap<String, RecoverableResource> resources = new ConcurrentHashMap<>();
    private volatile RecoveryManager recoveryGate;
    private final ScheduledThreadPoolExecutor reaper;
    private volatile boolean closed;
    /** How long close() waits for the reaper's running timeout rollback. */
    private static final long REAPER_CLOSE_WAIT_SECONDS = 10;

    /**
     * @param protocolFactory makes each commit protocol from the log, the heuristic sink, the
     *     resource lookup and {@link #requestRecovery} (so the protocol reports into this engine, and
     *     the caller needs no reference to the engine it is still building)
     * @param defaultProtocol the protocol of a transaction that does not choose one
     */
    @SuppressWarnings("FutureReturnValueIgnored") // the reaper catches its own failures; the schedule ends when the reaper executor is shut down
    public TransactionEngine(String nodeId, CommitLog log, Duration defaultTimeout, Duration reaperInterval,
            ProtocolFactory protocolFactory, CommitProtocolType defaultProtocol) {
        this.defaultProtocol = defaultProtocol;
        this.nodeId = nodeId;
        this.xids = new XidFactory(nodeId);
        this.log = log;
        log.startIncarnation(nodeId, xids.epoch());
        this.defaultTimeoutNanos = defaultTimeout.toNanos();
        this.twoPhase = protocolFactory.create(CommitProtocolType.TWO_PHASE, log, this::heuristicMet, resources::get,
                this::requestRecovery);
        this.threePhase = protocolFactory.create(CommitProtocolType.THREE_PHASE, log, this::heuristicMet,
                resources::get, this::requestRecovery);
        this.reaper = new ScheduledThreadPoolExecutor(1, new NamedDaemonThreads(nodeId, "reaper"));
        reaper.setContinueExistingPeriodicTasksAfterShutdownPolicy(false); // close() ends the schedule
        reaper.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        long interval = reaperInterval.toNanos();
        reaper.scheduleWithFixedDelay(this::reap, interval, interval, TimeUnit.NANOSECONDS);
    }

    /** Builds the commit protocol of an engine. */
    @FunctionalInterface
    public interface ProtocolFactory {
        CommitProtocol create(CommitProtocolType type, CommitLog log,
                java.util.function.Consumer<HeuristicOutcome> heuristics,
                Function<String, RecoverableResource> resources, Runnable requestRecovery);
    }

    /** Starts a transaction; {@code timeoutNanos <= 0} means the default timeout. */
    public QuorumTransaction begin(long timeoutNanos) {
        if (closed) {
            throw new IllegalStateException("The transaction manager of node " + nodeId
                    + " is closed; build a new one to start transactions");
        }
        QuorumTransaction tx = new QuorumTransaction(this, xids.newGtrid(),
                timeoutNanos > 0 ? timeoutNanos : defaultTimeoutNanos);
        live.put(tx.gtrid(), tx);
        return tx;
    }

    void completed(QuorumTransaction tx) {
        live.remove(tx.gtrid(), tx);
    }

    /**
     * True while this incarnation may still decide or finish {@code gtrid}: the transaction has not
     * completed, its phase 2 is being retried, or its commit record could not be confirmed (see
     * {@link CommitProtocol#holds}). Recovery leaves such transactions alone.
     */
    /** See {@link CommitProtocol#settleUnconfirmed()}. */
    public void settleUnconfirmed() {
        twoPhase.settleUnconfirmed();
        threePhase.settleUnconfirmed();
    }

    public CommitProtocolType defaultProtocol() {
        return defaultProtocol;
    }

    CommitProtocol protocol(CommitProtocolType type) {
        return type == CommitProtocolType.THREE_PHASE ? threePhase : twoPhase;
    }

    /** Asks the recovery manager for a full pass soon (for example after a 3PC marker could not be written). */
    public void requestRecovery() {
        RecoveryManager gate = recoveryGate;
        if (gate != null) {
            gate.requestPass();
        }
    }

    public boolean mayStillDecide(String gtrid) {
        return live.containsKey(gtrid) || twoPhase.holds(gtrid) || threePhase.holds(gtrid);
    }

    /** When this incarnation started (epoch millis). */
    public long bootMillis() {
        return xids.bootMillis();
    }

    /** True if this incarnation issued {@code gtrid} (same node id and boot epoch). */
    public boolean issued(String gtrid) {
        return xids.issued(gtrid);
    }

    public String nodeId() {
        return nodeId;
    }

    /** The registered resources, in no particular order. */
    public List<RecoverableResource> resources() {
        return List.copyOf(resources.values());
    }

    /** Adds a heuristic outcome met outside the commit path (by recovery). */
    public void recordHeuristic(HeuristicOutcome outcome) {
        heuristics.add(outcome);
        heuristicsWaiting.add(outcome);
    }

    /**
     * A protocol met a heuristic outcome. One that contradicts the decision marks its transaction,
     * if it is still completing, so observers count it as {@code heuristic} (see {@link CommitWatch}).
     */
    private void heuristicMet(HeuristicOutcome outcome) {
        recordHeuristic(outcome);
        if (outcome.contradictsDecision()) {
            QuorumTransaction tx = live.get(outcome.gtrid());
            if (tx != null) {
                tx.heuristicMet();
            }
        }
    }

    /** The heuristic outcomes seen and not yet acknowledged, oldest first. */
    public List<HeuristicOutcome> heuristicOutcomesWaiting() {
        return List.copyOf(heuristicsWaiting);
    }

    /** Marks {@code outcomes} as dealt with by an operator; returns how many of them were waiting. */
    public int acknowledgeHeuristics(java.util.Collection<HeuristicOutcome> outcomes) {
        int removed = 0;
        for (HeuristicOutcome h : outcomes) {
            if (heuristicsWaiting.remove(h)) {
                removed++;
            }
        }
        return removed;
    }

    /** Registers {@code observer} (see {@link io.quorumtx.tm.spi.TransactionObserver}). */
    public synchronized void addObserver(io.quorumtx.tm.spi.TransactionObserver observer) {
        observers = Observers.with(observers, observer);
    }

    /** Removes {@code observer}; returns false if it was not registered. */
    public synchronized boolean removeObserver(io.quorumtx.tm.spi.TransactionObserver observer) {
        Observers current = observers;
        if (current == null || !current.contains(observer)) {
            return false;
        }
        observers = Observers.without(current, observer);
        return true;
    }

    /** The observers as one (exceptions caught), or null when none is registered. */
    public io.quorumtx.tm.spi.TransactionObserver observers() {
        return observers;
    }

    /** The commit log this engine commits to. */
    public CommitLog commitLog() {
        return log;
    }

    public boolean owns(QuorumTransaction tx) {
        return tx.engine == this;
    }

    public void registerResource(RecoverableResource resource) {
        String name = resource.resourceName();
        if (!io.quorumtx.tm.xid.NodeIds.isValidResourceName(name)) {
            throw new IllegalArgumentException("Resource name '" + name + "' is invalid: use 1 to "
                    + io.quorumtx.tm.xid.NodeIds.MAX_RESOURCE_NAME_LENGTH + " characters of [A-Za-z0-9_.-]");
        }
        RecoverableResource previous = resources.putIfAbsent(name, resource);
        if (previous != null && previous != resource) {
            throw new IllegalStateException("A resource named '" + name + "' is already registered with the "
                    + "transaction manager of node " + nodeId + "; give each database its own name, or "
                    + "unregisterResource(\"" + name + "\") first");
        }
    }

    public boolean unregisterResource(String name) {
        RecoveryManager gate = recoveryGate;
        if (gate != null) {
            gate.forget(name);
        }
        return resources.remove(name) != null;
    }

    /** Set once by the manager after its recovery manager is built; until then nothing is gated. */
    public void recoveryGate(RecoveryManager recovery) {
        this.recoveryGate = recovery;
    }

    /**
     * The enlistment gate (see {@link RecoveryManager#awaitRecovered}): a registered resource is
     * not enlisted before a recovery pass has finished it. Hot path: one set lookup once it has.
     */
    void awaitRecovered(javax.transaction.xa.XAResource xa) throws jakarta.transaction.SystemException {
        RecoveryManager gate = recoveryGate;
        if (gate == null || !(xa instanceof io.quorumtx.tm.spi.NamedResource named)) {
            return;
        }
        String name = named.resourceName();
        if (name == null || gate.isRecovered(name) || !resources.containsKey(name)) {
            return;
        }
        gate.awaitRecovered(name);
    }

    public RecoverableResource resource(String name) {
        return resources.get(name);
    }

    public List<HeuristicOutcome> heuristicOutcomes() {
        return List.copyOf(heuristics);
    }

    public int liveTransactions() {
        return live.size();
    }

    public int pendingRetries() {
        return twoPhase.pendingRetries() + threePhase.pendingRetries();
    }

    private void reap() {
        long now = System.nanoTime();
        for (QuorumTransaction tx : live.values()) {
            if (now - tx.deadlineNanos >= 0) {
                try {
                    tx.timeout();
                } catch (RuntimeException | Error e) {
                    LOG.error("Timeout handling of transaction {} failed", tx.gtrid(), e);
                }
            }
        }
    }

    /**
     * Stops the reaper and retry threads and closes the commit log. Idempotent.
     *
     * <p>Never interrupts the reaper: it may be rolling back a timed-out transaction's branches,
     * inside a database's XA calls, and H2 closes its database file when a thread in its file I/O
     * is interrupted. It waits up to {@link #REAPER_CLOSE_WAIT_SECONDS} s for that rollback to end.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        reaper.shutdown();
        try {
            if (!reaper.awaitTermination(REAPER_CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("The reaper of node {} is still rolling back a timed-out transaction {} s after close began;"
                        + " it was not interrupted (a database call may be in progress), and recovery finishes what"
                        + " it leaves", nodeId, REAPER_CLOSE_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the closing thread's own interrupt: go on closing
        }
        if (!live.isEmpty()) {
            LOG.warn("Transaction manager of node {} closed with {} transaction(s) still running; "
                    + "their prepared branches, if any, are left to recovery", nodeId, live.size());
        }
        try {
            twoPhase.close();
            threePhase.close();
        } finally {
            log.close();
        }
    }
}
