package io.quorumtx.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.spi.CommitPhase;
import io.quorumtx.tm.spi.CommitTimings;
import io.quorumtx.tm.spi.RecoveryPassSummary;
import io.quorumtx.tm.spi.TransactionObserver;
import io.quorumtx.tm.spi.TransactionOutcome;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Tracing of a {@link QuorumTransactionManager} through Micrometer Observation (bridged to
 * OpenTelemetry or Brave by the application's tracing setup): one observation per commit, a child
 * per phase that runs (prepare, decision, phase 2), each carrying the global transaction id as a
 * high-cardinality key value; one observation per recovery pass.
 *
 * <pre>{@code
 * QuorumTxObservations tracing = QuorumTxObservations.builder(tm, observationRegistry).register();
 * ...
 * tracing.close(); // stops observing
 * }</pre>
 *
 * <p>A commit's observation has as parent whatever observation is current on the committing
 * thread (the request being served, say), and is itself in scope while the commit runs, as is
 * the phase under way: instrumented JDBC or XA calls made during prepare then nest under the
 * prepare span. Names and key values come from the conventions (see
 * {@link DefaultCommitObservationConvention}, {@link DefaultCommitPhaseObservationConvention},
 * {@link DefaultRecoveryPassObservationConvention}), which a user can replace.
 *
 * <p>With a no-op registry nothing is created. Otherwise each commit costs its observations and
 * one entry in a map keyed by gtrid while it runs (a commit's calls all come on its thread).
 */
public final class QuorumTxObservations implements AutoCloseable {

    private final QuorumTransactionManager tm;
    private final Observer observer;

    private QuorumTxObservations(Builder b) {
        this.tm = b.tm;
        this.observer = new Observer(b);
    }

    /** Tracing of {@code tm}'s commits and recovery passes into {@code registry}. */
    public static Builder builder(QuorumTransactionManager tm, ObservationRegistry registry) {
        return new Builder(tm, registry);
    }

    /** Stops observing the manager. */
    @Override
    public void close() {
        tm.removeObserver(observer);
    }

    /** Settings of {@link QuorumTxObservations}: the conventions, null for the defaults. */
    public static final class Builder {
        private final QuorumTransactionManager tm;
        private final ObservationRegistry registry;
        private CommitObservationConvention commitConvention;
        private CommitPhaseObservationConvention phaseConvention;
        private RecoveryPassObservationConvention recoveryConvention;

        private Builder(QuorumTransactionManager tm, ObservationRegistry registry) {
            this.tm = Objects.requireNonNull(tm, "tm");
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /** Replaces the names and key values of commit observations (default {@link DefaultCommitObservationConvention}). */
        public Builder commitConvention(CommitObservationConvention convention) {
            this.commitConvention = convention;
            return this;
        }

        /** Replaces those of phase observations (default {@link DefaultCommitPhaseObservationConvention}). */
        public Builder phaseConvention(CommitPhaseObservationConvention convention) {
            this.phaseConvention = convention;
            return this;
        }

        /** Replaces those of recovery-pass observations (default {@link DefaultRecoveryPassObservationConvention}). */
        public Builder recoveryConvention(RecoveryPassObservationConvention convention) {
            this.recoveryConvention = convention;
            return this;
        }

        /** Registers the observer on the manager: commits and passes from now on are observed. */
        public QuorumTxObservations register() {
            QuorumTxObservations o = new QuorumTxObservations(this);
            tm.addObserver(o.observer);
            return o;
        }
    }

    private static final DefaultCommitObservationConvention DEFAULT_COMMIT = new DefaultCommitObservationConvention();
    private static final DefaultCommitPhaseObservationConvention DEFAULT_PHASE =
            new DefaultCommitPhaseObservationConvention();
    private static final DefaultRecoveryPassObservationConvention DEFAULT_RECOVERY =
            new DefaultRecoveryPassObservationConvention();

    /** An observation in scope on the thread that opened it. */
    private record Open(Observation observation, Observation.Scope scope) {
        static Open start(Observation observation) {
            observation.start();
            return new Open(observation, observation.openScope());
        }

        void stop() {
            scope.close();
            observation.stop();
        }
    }

    /** A commit under way: its observation and the phase's. */
    private static final class Commit {
        final CommitObservationContext context;
        final Open commit;
        Open phase;

        Commit(CommitObservationContext context, Open commit) {
            this.context = context;
            this.commit = commit;
        }

        void endPhase() {
            if (phase != null) {
                phase.stop();
                phase = null;
            }
        }
    }

    private static final class Observer implements TransactionObserver {
        private final String nodeId;
        private final ObservationRegistry registry;
        private final CommitObservationConvention commitConvention;
        private final CommitPhaseObservationConvention phaseConvention;
        private final RecoveryPassObservationConvention recoveryConvention;
        private final ConcurrentHashMap<String, Commit> commits = new ConcurrentHashMap<>();
        private final AtomicReference<Open> pass = new AtomicReference<>();
        private final AtomicReference<RecoveryPassObservationContext> passContext = new AtomicReference<>();

        Observer(Builder b) {
            this.nodeId = b.tm.nodeId();
            this.registry = b.registry;
            this.commitConvention = b.commitConvention;
            this.phaseConvention = b.phaseConvention;
            this.recoveryConvention = b.recoveryConvention;
        }

        @Override
        public void commitStarted(String gtrid, int branches) {
            if (registry.isNoop()) {
                return;
            }
            CommitObservationContext context = new CommitObservationContext(nodeId, gtrid, branches);
            Observation observation = Observation.createNotStarted(commitConvention, DEFAULT_COMMIT, () -> context,
                    registry);
            commits.put(gtrid, new Commit(context, Open.start(observation)));
        }

        @Override
        public void commitPhaseStarted(String gtrid, CommitPhase phase) {
            Commit c = commits.get(gtrid);
            if (c == null) {
                return;
            }
            c.endPhase();
            CommitPhaseObservationContext context = new CommitPhaseObservationContext(nodeId, gtrid, phase);
            c.phase = Open.start(Observation.createNotStarted(phaseConvention, DEFAULT_PHASE, () -> context, registry)
                    .parentObservation(c.commit.observation()));
        }

        @Override
        public void commitFinished(String gtrid, TransactionOutcome outcome, CommitTimings timings) {
            Commit c = commits.remove(gtrid);
            if (c == null) {
                return;
            }
            c.endPhase();
            c.context.outcome(outcome);
            c.commit.stop();
        }

        @Override
        public void recoveryPassStarted() {
            if (registry.isNoop()) {
                return;
            }
            RecoveryPassObservationContext context = new RecoveryPassObservationContext(nodeId);
            passContext.set(context);
            pass.set(Open.start(Observation.createNotStarted(recoveryConvention, DEFAULT_RECOVERY, () -> context,
                    registry)));
        }

        @Override
        public void recoveryPassFinished(RecoveryPassSummary summary) {
            Open open = pass.getAndSet(null);
            RecoveryPassObservationContext context = passContext.getAndSet(null);
            if (open == null || context == null) {
                return;
            }
            context.summary(summary);
            if (!summary.completed()) {
                open.observation().error(new IllegalStateException(summary.failure()));
            }
            open.stop();
        }

        @Override
        public String toString() {
            return "QuorumTxObservations[" + nodeId + "]";
        }
    }
}
