package io.quorumtx.micrometer;

import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.protocol.HeuristicOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The health of a {@link QuorumTransactionManager}, in plain Java (the Spring Boot starter adapts
 * it to an Actuator {@code HealthIndicator} named {@code quorumtx}):
 *
 * <ul>
 *   <li>{@link Status#DOWN} when the commit log has failed stop (no two-phase commit can succeed
 *       until a restart), or when a heuristic outcome against a transaction's decision waits for
 *       an operator ({@link QuorumTransactionManager#heuristicOutcomesWaiting()}, cleared by
 *       {@link QuorumTransactionManager#acknowledgeHeuristicOutcomes});</li>
 *   <li>{@link Status#OUT_OF_SERVICE} when a branch recovery left in doubt is older than the
 *       configured age (default {@value #DEFAULT_IN_DOUBT_AGE_MINUTES} minutes): recovery cannot
 *       finish it on its own (its owner is unreachable, or its database refuses);</li>
 *   <li>{@link Status#UP} otherwise.</li>
 * </ul>
 *
 * <p>The details are counts and durations only: never a resource's URL, user or password.
 */
public final class QuorumTxHealth {

    public static final long DEFAULT_IN_DOUBT_AGE_MINUTES = 5;

    /** The statuses, named as Spring Boot's so an adapter can map them by name. */
    public enum Status { UP, OUT_OF_SERVICE, DOWN }

    /**
     * One check's result.
     *
     * @param status the status
     * @param reasons why it is not UP, in words an operator can act on (empty when UP)
     * @param details counts and durations, in a stable order
     */
    public record Report(Status status, List<String> reasons, Map<String, Object> details) {
        public Report {
            Objects.requireNonNull(status, "status");
            reasons = List.copyOf(reasons);
            details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
        }
    }

    private final QuorumTransactionManager tm;
    private final Duration inDoubtAgeLimit;

    /** Health of {@code tm} with the default in-doubt age limit. */
    public QuorumTxHealth(QuorumTransactionManager tm) {
        this(tm, Duration.ofMinutes(DEFAULT_IN_DOUBT_AGE_MINUTES));
    }

    /**
     * Health of {@code tm}; OUT_OF_SERVICE once an in-doubt branch is older than {@code inDoubtAgeLimit}
     * (it should be well above the recovery safety interval, which recovery waits before it presumes abort).
     */
    public QuorumTxHealth(QuorumTransactionManager tm, Duration inDoubtAgeLimit) {
        this.tm = Objects.requireNonNull(tm, "tm");
        Objects.requireNonNull(inDoubtAgeLimit, "inDoubtAgeLimit");
        if (inDoubtAgeLimit.isNegative() || inDoubtAgeLimit.isZero()) {
            throw new IllegalArgumentException("inDoubtAgeLimit must be positive (for example Duration.ofMinutes(5)),"
                    + " got " + inDoubtAgeLimit);
        }
        this.inDoubtAgeLimit = inDoubtAgeLimit;
    }

    public Report check() {
        boolean logFailed = tm.commitLogFailed();
        List<HeuristicOutcome> waiting = tm.heuristicOutcomesWaiting();
        long against = waiting.stream().filter(HeuristicOutcome::contradictsDecision).count();
        int inDoubt = tm.inDoubtBranches();
        Duration oldest = tm.oldestInDoubtAge();

        List<String> reasons = new ArrayList<>();
        Status status = Status.UP;
        if (logFailed) {
            status = Status.DOWN;
            reasons.add("the commit log has failed (a write or force failed): no transaction can commit two-phase"
                    + " until the application is restarted and the log reopened");
        }
        if (against > 0) {
            status = Status.DOWN;
            reasons.add(against + " heuristic outcome(s) went against their transaction's decision: check the data"
                    + " of the resources named in heuristicOutcomesWaiting(), then acknowledge them"
                    + " (acknowledgeHeuristicOutcomes)");
        }
        if (inDoubt > 0 && oldest.compareTo(inDoubtAgeLimit) > 0) {
            if (status == Status.UP) {
                status = Status.OUT_OF_SERVICE;
            }
            reasons.add(inDoubt + " branch(es) in doubt, the oldest for " + oldest.toSeconds() + " s (limit "
                    + inDoubtAgeLimit.toSeconds() + " s): recovery cannot finish them; see the recovery tool's scan");
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("node", tm.nodeId());
        details.put("commitLogFailed", logFailed);
        details.put("heuristicOutcomesWaiting", waiting.size());
        details.put("heuristicOutcomesAgainstDecision", against);
        details.put("inDoubtBranches", inDoubt);
        details.put("oldestInDoubtSeconds", oldest.toSeconds());
        details.put("inDoubtAgeLimitSeconds", inDoubtAgeLimit.toSeconds());
        details.put("pendingPhase2Retries", tm.pendingPhase2Retries());
        details.put("activeTransactions", tm.activeTransactions());
        return new Report(status, reasons, details);
    }
}
