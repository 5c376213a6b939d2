package io.quorumtx.tm.internal;

import io.quorumtx.tm.recovery.ResolveReport;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.spi.RecoveryPassSummary;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The prepared branches recovery left in doubt, per resource, as of the last pass that scanned
 * that resource: their number and since when the oldest one exists (its transaction's begin time,
 * from its gtrid). A pass over some resources replaces only their entries, so a pass that scans a
 * newly registered database does not make the others' branches vanish; an unreachable resource
 * keeps what was last known of it. Written by the pass thread (under the pass lock), read by
 * monitoring from any thread.
 */
public final class InDoubtTally {

    private record OnResource(int branches, Instant oldest) {
    }

    private final Map<String, OnResource> byResource = new ConcurrentHashMap<>();

    void update(List<RecoverableResource> scanned, ResolveReport report) {
        Instant now = Instant.now();
        Map<String, int[]> counts = new HashMap<>();
        Map<String, Instant> oldest = new HashMap<>();
        for (ResolveReport.StepResult s : report.steps()) {
            if (s.outcome() != ResolveReport.Outcome.LEFT && s.outcome() != ResolveReport.Outcome.FAILED) {
                continue;
            }
            String name = s.step().branch().resourceName();
            counts.computeIfAbsent(name, n -> new int[1])[0]++;
            Instant since = now.minus(s.step().branch().age().orElse(Duration.ZERO));
            oldest.merge(name, since, (a, b) -> a.isBefore(b) ? a : b);
        }
        for (RecoverableResource r : scanned) {
            String name = r.resourceName();
            if (report.unreachableResources().containsKey(name)) {
                continue; // unknown now: keep what the last pass that reached it saw
            }
            int[] n = counts.get(name);
            if (n == null) {
                byResource.remove(name);
            } else {
                byResource.put(name, new OnResource(n[0], oldest.get(name)));
            }
        }
    }

    void forget(String resourceName) {
        byResource.remove(resourceName);
    }

    /** Prepared branches left in doubt by the last passes, over every resource. */
    public int branches() {
        int n = 0;
        for (OnResource r : byResource.values()) {
            n += r.branches();
        }
        return n;
    }

    /** How long the oldest of them has existed (since its transaction began), or zero when there is none. */
    public Duration oldestAge() {
        Instant oldest = null;
        for (OnResource r : byResource.values()) {
            if (oldest == null || r.oldest().isBefore(oldest)) {
                oldest = r.oldest();
            }
        }
        if (oldest == null) {
            return Duration.ZERO;
        }
        Duration age = Duration.between(oldest, Instant.now());
        return age.isNegative() ? Duration.ZERO : age;
    }

    /** The counts of one pass for the observers; {@code report} null: the pass failed. */
    static RecoveryPassSummary summary(ResolveReport report, long nanos) {
        if (report == null) {
            return new RecoveryPassSummary(0, 0, 0, 0, 0, nanos, "the recovery pass failed; see the log");
        }
        int committed = 0;
        int rolledBack = 0;
        int left = 0;
        for (ResolveReport.StepResult s : report.steps()) {
            switch (s.outcome()) {
                case COMMITTED -> committed++;
                case ROLLED_BACK -> rolledBack++;
                case LEFT, FAILED -> left++;
                default -> {
                }
            }
        }
        return new RecoveryPassSummary(committed, rolledBack, left, report.heuristicCount(),
                report.unreachableResources().size(), nanos, null);
    }
}
