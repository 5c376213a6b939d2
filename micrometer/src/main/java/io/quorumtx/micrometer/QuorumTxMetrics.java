package io.quorumtx.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.log.LogStats;
import io.quorumtx.tm.spi.CommitPhase;
import io.quorumtx.tm.spi.CommitTimings;
import io.quorumtx.tm.spi.RecoveryPassSummary;
import io.quorumtx.tm.spi.TransactionObserver;
import io.quorumtx.tm.spi.TransactionOutcome;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one {@link QuorumTransactionManager}, for any Micrometer registry, with or
 * without Spring:
 *
 * <pre>{@code
 * QuorumTxMetrics metrics = new QuorumTxMetrics(tm);
 * metrics.bindTo(registry);      // registers the meters and a TransactionObserver on tm
 * ...
 * metrics.close();               // removes the observer (the meters stay in the registry)
 * }</pre>
 *
 * <p>Counters and timers are fed by a {@link TransactionObserver} the binder registers on the
 * manager: every meter is created once in {@link #bindTo}, so recording on the commit path is a
 * lookup in a small enum map and an add, with no allocation. Gauges read the manager when the
 * registry polls them. Every meter carries the tag {@code node} (the manager's node id) plus the
 * extra tags given; no meter has a per-transaction tag. The meter names and what they mean are
 * in the README ("Metrics, tracing and health") and the constants below.
 */
public final class QuorumTxMetrics implements MeterBinder, AutoCloseable {

    public static final String TRANSACTIONS = "quorumtx.transactions";
    public static final String COMMIT = "quorumtx.commit";
    public static final String COMMIT_PHASE = "quorumtx.commit.phase";
    public static final String IN_DOUBT = "quorumtx.in_doubt";
    public static final String IN_DOUBT_OLDEST = "quorumtx.in_doubt.oldest";
    public static final String PHASE2_RETRIES_PENDING = "quorumtx.phase2.retries.pending";
    public static final String HEURISTICS_WAITING = "quorumtx.heuristics.waiting";
    public static final String ACTIVE = "quorumtx.transactions.active";
    public static final String LOG_FAILED = "quorumtx.log.failed";
    public static final String LOG_FORCES = "quorumtx.log.forces";
    public static final String LOG_RECORDS = "quorumtx.log.records";
    public static final String LOG_RECORDS_PER_FORCE = "quorumtx.log.records.per_force";
    public static final String RECOVERY_PASS = "quorumtx.recovery.pass";
    public static final String RECOVERY_BRANCHES = "quorumtx.recovery.branches";

    private static final CommitPhase[] PHASES = CommitPhase.values(); // values() copies: not on the commit path

    private final QuorumTransactionManager tm;
    private final Tags tags;
    private final List<Recorder> recorders = new CopyOnWriteArrayList<>();

    /** Meters of {@code tm}, tagged {@code node=<node id>}. */
    public QuorumTxMetrics(QuorumTransactionManager tm) {
        this(tm, Tags.empty());
    }

    /** Meters of {@code tm}, tagged {@code node=<node id>} and {@code extraTags}. */
    public QuorumTxMetrics(QuorumTransactionManager tm, Iterable<io.micrometer.core.instrument.Tag> extraTags) {
        this.tm = Objects.requireNonNull(tm, "tm");
        this.tags = Tags.of("node", tm.nodeId()).and(extraTags);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Recorder recorder = new Recorder(registry);
        Gauge.builder(IN_DOUBT, tm, QuorumTransactionManager::inDoubtBranches).tags(tags).strongReference(true)
                .description("Prepared branches recovery found and left in doubt (their owner may still decide, or"
                        + " completing them failed)")
                .baseUnit("branches").register(registry);
        TimeGauge.builder(IN_DOUBT_OLDEST, tm, TimeUnit.MILLISECONDS, m -> m.oldestInDoubtAge().toMillis())
                .tags(tags).strongReference(true)
                .description("Age of the oldest in-doubt branch's transaction (0 when none)").register(registry);
        Gauge.builder(PHASE2_RETRIES_PENDING, tm, QuorumTransactionManager::pendingPhase2Retries).tags(tags)
                .strongReference(true)
                .description("Decided transactions with branches still being retried in the background")
                .baseUnit("transactions").register(registry);
        Gauge.builder(HEURISTICS_WAITING, tm, m -> m.heuristicOutcomesWaiting().size()).tags(tags)
                .strongReference(true)
                .description("Heuristic outcomes no operator has acknowledged (acknowledgeHeuristicOutcomes)")
                .baseUnit("outcomes").register(registry);
        Gauge.builder(ACTIVE, tm, QuorumTransactionManager::activeTransactions).tags(tags).strongReference(true)
                .description("Transactions begun and not yet completed").baseUnit("transactions").register(registry);
        Gauge.builder(LOG_FAILED, tm, m -> m.commitLogFailed() ? 1 : 0).tags(tags).strongReference(true)
                .description("1 once the commit log has failed stop (no more two-phase commits until restart)")
                .register(registry);
        if (tm.logStats().isPresent()) {
            FunctionCounter.builder(LOG_FORCES, tm, m -> stats(m).forces()).tags(tags)
                    .description("Forces (fsync) of commit log records").baseUnit("forces").register(registry);
            FunctionCounter.builder(LOG_RECORDS, tm, m -> stats(m).recordsWritten()).tags(tags)
                    .description("Commit log records written (COMMIT, END, carried-forward copies)")
                    .baseUnit("records").register(registry);
            Gauge.builder(LOG_RECORDS_PER_FORCE, tm, m -> {
                LogStats s = stats(m);
                return s.forces() == 0 ? 0 : (double) s.recordsWritten() / s.forces();
            }).tags(tags).strongReference(true)
                    .description("Records written per force since the log was opened (group commit batching)")
                    .register(registry);
        }
        tm.addObserver(recorder);
        recorders.add(recorder);
    }

    private static LogStats stats(QuorumTransactionManager m) {
        return m.logStats().orElseThrow();
    }

    /** Removes the observers this binder registered on the manager; the meters stay registered. */
    @Override
    public void close() {
        for (Recorder r : recorders) {
            tm.removeObserver(r);
        }
        recorders.clear();
    }

    /** The observer of one registry: every meter it records to is made up front. */
    private final class Recorder implements TransactionObserver {
        private final Map<TransactionOutcome, Counter> transactions = new EnumMap<>(TransactionOutcome.class);
        private final Map<TransactionOutcome, Timer> commits = new EnumMap<>(TransactionOutcome.class);
        private final Map<CommitPhase, Timer> phases = new EnumMap<>(CommitPhase.class);
        private final Timer passCompleted;
        private final Timer passFailed;
        private final Counter recoveryCommitted;
        private final Counter recoveryRolledBack;

        Recorder(MeterRegistry registry) {
            for (TransactionOutcome o : TransactionOutcome.values()) {
                transactions.put(o, Counter.builder(TRANSACTIONS).tags(tags).tag("outcome", o.tagValue())
                        .description("Transactions completed, by outcome").baseUnit("transactions").register(registry));
                commits.put(o, Timer.builder(COMMIT).tags(tags).tag("outcome", o.tagValue())
                        .description("Duration of the commit protocol (vote, decision, phase 2), by outcome")
                        .register(registry));
            }
            for (CommitPhase p : CommitPhase.values()) {
                phases.put(p, Timer.builder(COMMIT_PHASE).tags(tags).tag("phase", p.tagValue())
                        .description("Duration of one phase of a commit: prepare (the vote), log (the durable"
                                + " decision), phase2 (committing the branches, or a one-phase commit)")
                        .register(registry));
            }
            passCompleted = Timer.builder(RECOVERY_PASS).tags(tags).tag("result", "completed")
                    .description("Recovery passes and their duration").register(registry);
            passFailed = Timer.builder(RECOVERY_PASS).tags(tags).tag("result", "failed")
                    .description("Recovery passes and their duration").register(registry);
            recoveryCommitted = Counter.builder(RECOVERY_BRANCHES).tags(tags).tag("action", "committed")
                    .description("In-doubt branches recovery finished, by action").baseUnit("branches")
                    .register(registry);
            recoveryRolledBack = Counter.builder(RECOVERY_BRANCHES).tags(tags).tag("action", "rolled_back")
                    .description("In-doubt branches recovery finished, by action").baseUnit("branches")
                    .register(registry);
        }

        @Override
        public void commitFinished(String gtrid, TransactionOutcome outcome, CommitTimings timings) {
            commits.get(outcome).record(timings.totalNanos(), TimeUnit.NANOSECONDS);
            for (CommitPhase p : PHASES) {
                long nanos = timings.nanos(p);
                if (nanos != CommitTimings.NOT_RUN) {
                    phases.get(p).record(nanos, TimeUnit.NANOSECONDS);
                }
            }
        }

        @Override
        public void transactionFinished(String gtrid, TransactionOutcome outcome) {
            transactions.get(outcome).increment();
        }

        @Override
        public void recoveryPassFinished(RecoveryPassSummary summary) {
            (summary.completed() ? passCompleted : passFailed).record(summary.durationNanos(), TimeUnit.NANOSECONDS);
            recoveryCommitted.increment(summary.committed());
            recoveryRolledBack.increment(summary.rolledBack());
        }

        @Override
        public String toString() {
            return "QuorumTxMetrics[" + tm.nodeId() + "]";
        }
    }
}
