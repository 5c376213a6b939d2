package io.quorumtx.tm;

import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.spi.TransactionObserver;
import io.quorumtx.tm.log.LocalCommitLog;
import io.quorumtx.tm.paxos.ReplicatedCommitLog;
import io.quorumtx.tm.protocol.BranchFanOut;
import io.quorumtx.tm.paxos.ReplicatedLogConfig;
import io.quorumtx.tm.log.NodeIdFile;
import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.xid.NodeIds;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Configures a {@link QuorumTransactionManager}; obtained from {@link QuorumTransactionManager#builder()}.
 * Every setting is checked at {@link #build()}, which names the bad setting and what it accepts.
 *
 * <pre>{@code
 * QuorumTransactionManager tm = QuorumTransactionManager.builder()
 *         .nodeId("orders-1")
 *         .logDirectory(Path.of("/var/lib/orders/txlog"))
 *         .defaultTimeout(Duration.ofSeconds(30))
 *         .recoveryInterval(Duration.ofSeconds(30))        // the default
 *         .build();
 * }</pre>
 *
 * <p>Recovery runs in the manager: a pass at start, one whenever a resource is registered, one
 * every {@link #recoveryInterval}, and {@link QuorumTransactionManager#recover()} on demand. It
 * commits branches with a logged COMMIT, rolls back this node's undecided branches of earlier
 * incarnations at once and those of this incarnation once finished and older than
 * {@link #recoverySafetyInterval}, and never touches other nodes' branches.
 */
public final class QuorumTransactionManagerBuilder {
    /** The timeout of a transaction whose thread did not call setTransactionTimeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    /** How often the reaper looks for overdue transactions. */
    public static final Duration DEFAULT_REAPER_INTERVAL = Duration.ofSeconds(1);
    /** First wait before retrying a branch that failed in phase 2; doubles each time. */
    public static final Duration DEFAULT_RETRY_INITIAL_DELAY = Duration.ofMillis(200);
    /** Longest wait between two retries of a branch. */
    public static final Duration DEFAULT_RETRY_MAX_DELAY = Duration.ofSeconds(30);
    /**
     * Retries of one transaction's phase 2 before the retrier hands it to the recovery manager:
     * with the default delays about 3 minutes of failures (0.2 + 0.4 + ... + 25.6 s, then 30 s
     * apart). Long enough to ride out a database restart or failover, short enough that an outage
     * shows up in recovery reports instead of an endless retry loop.
     */
    public static final int DEFAULT_RETRY_ATTEMPTS = 12;
    /** Time between periodic recovery passes. */
    public static final Duration DEFAULT_RECOVERY_INTERVAL = Duration.ofSeconds(30);

    private String nodeId;
    private Path logDirectory;
    private LocalCommitLog.Options logOptions = LocalCommitLog.Options.defaults();
    private CommitLog commitLog;
    private ReplicatedLogConfig replicated;
    private Duration defaultTimeout = DEFAULT_TIMEOUT;
    private Duration reaperInterval = DEFAULT_REAPER_INTERVAL;
    private Duration retryInitialDelay = DEFAULT_RETRY_INITIAL_DELAY;
    private Duration retryMaxDelay = DEFAULT_RETRY_MAX_DELAY;
    private int retryAttempts = DEFAULT_RETRY_ATTEMPTS;
    private Duration recoveryInterval = DEFAULT_RECOVERY_INTERVAL;
    private Duration recoverySafetyInterval; // null: twice the default timeout
    private CrashInjector crashInjector;
    private CommitProtocolType defaultProtocol = CommitProtocolType.TWO_PHASE;
    private final java.util.List<TransactionObserver> observers = new java.util.ArrayList<>();
    private BranchExecution branchExecution = BranchExecution.AUTO;
    private int branchThreads = BranchFanOut.DEFAULT_MAX_THREADS;

    QuorumTransactionManagerBuilder() {
    }

    /**
     * Required. This node's id: 1 to 24 characters of {@code [A-Za-z0-9_-]}, unique among the
     * nodes whose transactions share databases. It is written into every Xid, so recovery knows
     * which coordinator owns an in-doubt branch; keep it stable across restarts. Never run two
     * managers with the same node id at once: recovery takes another incarnation's transactions
     * begun before it started for those of a crashed predecessor and rolls back their undecided
     * branches at once, which under a live twin could split a transaction (a twin's later
     * transactions are detected, logged as an error and only get the safety interval). A log
     * directory records its node id and refuses others.
     */
    public QuorumTransactionManagerBuilder nodeId(String nodeId) {
        this.nodeId = nodeId;
        return this;
    }

    /**
     * The directory of the local commit log ({@link LocalCommitLog}, created if missing, locked
     * against a second process). Set this or {@link #commitLog}.
     */
    public QuorumTransactionManagerBuilder logDirectory(Path directory) {
        this.logDirectory = directory;
        return this;
    }

    /** {@link #logDirectory(Path)} with tuned options (segment size, queue capacity, END flush interval). */
    public QuorumTransactionManagerBuilder logDirectory(Path directory, LocalCommitLog.Options options) {
        this.logDirectory = directory;
        this.logOptions = Objects.requireNonNull(options, "options");
        return this;
    }

    /**
     * Registers an observer from the start, so it also sees the first recovery pass (which runs in
     * the background as soon as the manager is built); see {@link TransactionObserver}. One
     * registered later with {@link QuorumTransactionManager#addObserver} may miss that pass.
     */
    public QuorumTransactionManagerBuilder observer(TransactionObserver observer) {
        observers.add(Objects.requireNonNull(observer, "observer"));
        return this;
    }

    java.util.List<TransactionObserver> observers() {
        return java.util.List.copyOf(observers);
    }

    /**
     * A commit log to use instead of the local one (a replicated log, or a test double). The
     * manager takes ownership and closes it on {@link QuorumTransactionManager#close()}.
     */
    public QuorumTransactionManagerBuilder commitLog(CommitLog log) {
        this.commitLog = log;
        return this;
    }

    /**
     * Uses the Paxos-replicated commit log instead of the local one: this node runs one acceptor
     * in {@code config}'s data directory, proposes its own transactions' decisions to a majority of
     * the members, and takes over the transactions of members whose lease lapses. The config's
     * node id must be this manager's.
     */
    public QuorumTransactionManagerBuilder replicatedLog(ReplicatedLogConfig config) {
        this.replicated = config;
        return this;
    }

    /** Default transaction timeout, positive; default 60 seconds. */
    public QuorumTransactionManagerBuilder defaultTimeout(Duration timeout) {
        this.defaultTimeout = timeout;
        return this;
    }

    /** How often overdue transactions are looked for, positive; default 1 second. */
    public QuorumTransactionManagerBuilder reaperInterval(Duration interval) {
        this.reaperInterval = interval;
        return this;
    }

    /**
     * Back-off of phase-2 retries: the first retry waits {@code initial}, each next one twice as
     * long, at most {@code max}. Defaults 200 ms and 30 s.
     */
    public QuorumTransactionManagerBuilder phase2Retry(Duration initial, Duration max) {
        return phase2Retry(initial, max, DEFAULT_RETRY_ATTEMPTS);
    }

    /**
     * As {@link #phase2Retry(Duration, Duration)}, with the number of retries (at least 1; default
     * {@value #DEFAULT_RETRY_ATTEMPTS}) after which a transaction whose branches are still not
     * finished is handed to the recovery manager, which then re-drives it on every recovery pass
     * (its COMMIT is in the log, so nothing is lost; see {@link #recoveryInterval}).
     */
    public QuorumTransactionManagerBuilder phase2Retry(Duration initial, Duration max, int attempts) {
        this.retryInitialDelay = initial;
        this.retryMaxDelay = max;
        this.retryAttempts = attempts;
        return this;
    }

    /**
     * How often the recovery manager looks for in-doubt branches in the registered resources;
     * default 30 seconds. {@code Duration.ZERO} turns the periodic passes off (passes still run
     * when the manager starts, when a resource is registered, and on
     * {@link QuorumTransactionManager#recover()}).
     */
    public QuorumTransactionManagerBuilder recoveryInterval(Duration interval) {
        this.recoveryInterval = interval;
        return this;
    }

    /**
     * How old a transaction of this manager's own, current incarnation must be before recovery
     * rolls back a prepared branch of it that has no COMMIT decision; default twice the
     * {@link #defaultTimeout} (2 minutes by default). A second line of defence only: such a
     * transaction is never rolled back while it is still running, being retried or in doubt,
     * whatever its age. Transactions of an earlier incarnation of this node (before a restart)
     * are rolled back at once, since their coordinator is gone; other nodes' are never touched.
     * Zero or positive.
     */
    public QuorumTransactionManagerBuilder recoverySafetyInterval(Duration interval) {
        this.recoverySafetyInterval = interval;
        return this;
    }

    /**
     * The protocol of every transaction that does not choose its own (see
     * {@link QuorumTransactionManager#begin(CommitProtocolType)}). Default
     * {@link CommitProtocolType#TWO_PHASE}.
     */
    public QuorumTransactionManagerBuilder defaultProtocol(CommitProtocolType protocol) {
        this.defaultProtocol = Objects.requireNonNull(protocol,
                "defaultProtocol must not be null; use TWO_PHASE or THREE_PHASE");
        return this;
    }

    /**
     * Whether a transaction's branches are prepared, committed and rolled back side by side
     * ({@link BranchExecution}); default {@link BranchExecution#AUTO}: side by side when at least two
     * branches are on database servers, one after the other otherwise (embedded H2, where a thread
     * hop costs more than a prepare). Outcomes are the same either way. Side by side, the
     * committing thread does one branch itself and hands the others to at most
     * {@value BranchFanOut#DEFAULT_MAX_THREADS} branch threads of this manager; when all are busy it
     * does them itself, as in serial mode, rather than wait in a queue.
     */
    public QuorumTransactionManagerBuilder branchExecution(BranchExecution execution) {
        return branchExecution(execution, branchThreads);
    }

    /** {@link #branchExecution(BranchExecution)} with at most {@code maxThreads} (at least 1) branch threads. */
    public QuorumTransactionManagerBuilder branchExecution(BranchExecution execution, int maxThreads) {
        this.branchExecution = Objects.requireNonNull(execution,
                "branchExecution must not be null; use AUTO, SERIAL or PARALLEL");
        this.branchThreads = maxThreads;
        return this;
    }

    /**
     * For crash tests only: called at each {@link CrashPoint} of the commit path (and, with a
     * {@link #logDirectory local log}, at {@link CrashPoint#LOG_APPEND_TORN}). Default none, which
     * costs nothing.
     */
    public QuorumTransactionManagerBuilder crashInjector(CrashInjector injector) {
        this.crashInjector = injector;
        return this;
    }

    /**
     * Checks every setting, opens the commit log if a directory was given (recording this node id
     * in it, or checking the one recorded), and starts the manager, whose first recovery pass runs
     * in the background.
     */
    public QuorumTransactionManager build() {
        if (nodeId == null) {
            throw new IllegalArgumentException("nodeId is required: call nodeId(...) with 1 to "
                    + NodeIds.MAX_LENGTH + " characters of [A-Za-z0-9_-], unique per node and stable across restarts");
        }
        if (!NodeIds.isValid(nodeId)) {
            throw new IllegalArgumentException("nodeId '" + nodeId + "' is invalid: use 1 to " + NodeIds.MAX_LENGTH
                    + " characters of [A-Za-z0-9_-]");
        }
        int logs = (logDirectory == null ? 0 : 1) + (commitLog == null ? 0 : 1) + (replicated == null ? 0 : 1);
        if (logs != 1) {
            throw new IllegalArgumentException("Set exactly one of logDirectory(Path) (the local commit log),"
                    + " replicatedLog(ReplicatedLogConfig) or commitLog(CommitLog); got " + (logs == 0 ? "none" : logs + " of them"));
        }
        if (replicated != null && !replicated.nodeId().equals(nodeId)) {
            throw new IllegalArgumentException("replicatedLog is configured for node '" + replicated.nodeId()
                    + "' but this manager is node '" + nodeId + "'; use the same id");
        }
        requirePositive("defaultTimeout", defaultTimeout, "Duration.ofSeconds(60)");
        requirePositive("reaperInterval", reaperInterval, "Duration.ofSeconds(1)");
        requirePositive("phase2Retry initial delay", retryInitialDelay, "Duration.ofMillis(200)");
        requirePositive("phase2Retry max delay", retryMaxDelay, "Duration.ofSeconds(30)");
        if (retryMaxDelay.compareTo(retryInitialDelay) < 0) {
            throw new IllegalArgumentException("phase2Retry max delay (" + retryMaxDelay
                    + ") must be at least its initial delay (" + retryInitialDelay + ")");
        }
        if (branchThreads < 1) {
            throw new IllegalArgumentException("branchExecution maxThreads must be at least 1 (default "
                    + BranchFanOut.DEFAULT_MAX_THREADS + "), got " + branchThreads);
        }
        if (retryAttempts < 1) {
            throw new IllegalArgumentException("phase2Retry attempts must be at least 1 (default "
                    + DEFAULT_RETRY_ATTEMPTS + "), got " + retryAttempts);
        }
        Objects.requireNonNull(recoveryInterval, "recoveryInterval must not be null; for example Duration.ofSeconds(30)");
        if (recoveryInterval.isNegative()) {
            throw new IllegalArgumentException("recoveryInterval must be positive, or zero for no periodic passes; got "
                    + recoveryInterval);
        }
        if (recoverySafetyInterval != null && recoverySafetyInterval.isNegative()) {
            throw new IllegalArgumentException("recoverySafetyInterval must be zero or positive (for example "
                    + "Duration.ofMinutes(2)), got " + recoverySafetyInterval);
        }
        CommitLog log = commitLog != null ? commitLog
                : replicated != null ? ReplicatedCommitLog.open(replicated) : openLocalLog();
        try {
            if (logDirectory != null) {
                NodeIdFile.claim(((LocalCommitLog) log).directory(), nodeId);
            }
            return new QuorumTransactionManager(this, log);
        } catch (RuntimeException | Error e) {
            log.close();
            throw e;
        }
    }

    private LocalCommitLog openLocalLog() {
        LocalCommitLog.Options options = logOptions;
        CrashInjector injector = crashInjector;
        if (injector != null && options.tornAppendHook() == null) {
            options = options.withTornAppendHook(gtrid -> injector.reached(CrashPoint.LOG_APPEND_TORN, gtrid));
        }
        return LocalCommitLog.open(logDirectory, options);
    }

    private static void requirePositive(String setting, Duration value, String example) {
        Objects.requireNonNull(value, () -> setting + " must not be null; for example " + example);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(setting + " must be a positive duration (for example " + example
                    + "), got " + value);
        }
    }

    String nodeId() {
        return nodeId;
    }

    Duration defaultTimeout() {
        return defaultTimeout;
    }

    Duration reaperInterval() {
        return reaperInterval;
    }

    Duration retryInitialDelay() {
        return retryInitialDelay;
    }

    Duration retryMaxDelay() {
        return retryMaxDelay;
    }

    int retryAttempts() {
        return retryAttempts;
    }

    Duration recoveryInterval() {
        return recoveryInterval;
    }

    Duration recoverySafetyInterval() {
        return recoverySafetyInterval != null ? recoverySafetyInterval : defaultTimeout.multipliedBy(2);
    }

    CrashInjector crashInjector() {
        return crashInjector;
    }

    CommitProtocolType defaultProtocol() {
        return defaultProtocol;
    }

    BranchExecution branchExecution() {
        return branchExecution;
    }

    int branchThreads() {
        return branchThreads;
    }
}
