package io.quorumtx.tm.recovery;

import io.quorumtx.tm.protocol.HeuristicOutcome;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.recovery.ResolveReport.Outcome;
import io.quorumtx.tm.recovery.ResolveReport.StepResult;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import javax.transaction.xa.XAResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The passes of one resolve run. Each pass scans every resource (keeping its connection open),
 * writes END for logged commits none of whose branches is still prepared anywhere, plans, writes
 * missing pre-commit markers ({@link MarkerRepair}) and applies the plan on the connection that
 * listed each branch ({@link BranchResolver}). Then it rescans: some resources (H2's XAResource)
 * clear only one recovered branch per {@code recover()}. It stops when a pass has nothing to
 * apply, when a pass cleared none of the branches the previous one acted on (those are reported
 * FAILED), or after {@value Recovery#MAX_PASSES} passes. Every branch of a logged commit that a
 * pass finishes is recorded BRANCH_DONE (forced) before the pass goes on, and the END it writes is
 * forced: the moment a database forgets a branch, our log knows it is finished.
 */
final class PassLoop {
    /** The engine's logger: operators filter on {@code io.quorumtx.tm.recovery.Recovery}, as before the split. */
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    /** Something to do once, before the first step of a run is applied (the operator's COMMIT record). */
    interface BeforeApply {
        void accept(List<PlannedStep> toApply);
    }

    private final CommitLog log;
    private final List<RecoverableResource> resources;
    private final OwnerLiveness liveness;
    private final Clock clock;
    private final BranchResolver resolver;
    private final MarkerRepair markers;

    PassLoop(CommitLog log, List<RecoverableResource> resources, OwnerLiveness liveness, Clock clock,
            MarkerRepair markers) {
        this.log = log;
        this.resources = resources;
        this.liveness = liveness;
        this.clock = clock;
        this.resolver = new BranchResolver(clock);
        this.markers = markers;
    }

    /** Scans every resource once, changing nothing; connections are closed before it returns. */
    ScanResult scan() {
        try (RecoveryPass pass = RecoveryPass.scan(log, resources, clock)) {
            return pass.result();
        }
    }

    /** One scan, planned and reported, changing nothing: COMMIT/ROLLBACK steps come back as {@link Outcome#PLANNED}. */
    ResolveReport dryRun(Function<ScanResult, List<PlannedStep>> planner) {
        ScanResult scan = scan();
        List<StepResult> results = new ArrayList<>();
        for (PlannedStep step : planner.apply(scan)) {
            results.add(new StepResult(step, step.action() == RecoveryAction.LEAVE ? Outcome.LEFT : Outcome.PLANNED,
                    "", Optional.empty()));
        }
        return new ResolveReport(true, results, List.of(), scan.unreachableResources(), List.of(),
                unfinishedAfter(scan, Set.of()), scan.branches().size(), 1);
    }

    /**
     * Scans, plans ({@code planner}) and applies, pass after pass (see the class comment); writes
     * END for the logged commits {@code mayEnd} allows once all their branches are finished.
     */
    ResolveReport run(Function<ScanResult, List<PlannedStep>> planner, Predicate<UnfinishedCommit> mayEnd,
            BeforeApply beforeApply) {
        Map<String, StepResult> results = new LinkedHashMap<>();
        List<HeuristicOutcome> heuristics = new ArrayList<>();
        Set<String> ends = new LinkedHashSet<>();
        Set<String> failed = new HashSet<>();
        Set<String> actedOn = Set.of();
        boolean prepared = false;
        ScanResult last;
        int passes = 0;
        while (true) {
            passes++;
            try (RecoveryPass pass = RecoveryPass.scan(log, resources, clock)) {
                last = pass.result();
                writeEnds(last, mayEnd, ends);
                List<PlannedStep> toApply = new ArrayList<>();
                Set<String> keys = new HashSet<>();
                for (PlannedStep step : planner.apply(last)) {
                    String key = key(step.branch());
                    if (step.action() == RecoveryAction.LEAVE) {
                        results.put(key, new StepResult(step, Outcome.LEFT, "", Optional.empty()));
                    } else if (!failed.contains(key)) {
                        toApply.add(step);
                        keys.add(key);
                    }
                }
                if (toApply.isEmpty()) {
                    break;
                }
                if (!actedOn.isEmpty() && keys.containsAll(actedOn)) {
                    // Nothing the last pass acted on was cleared: the resource keeps listing it.
                    for (PlannedStep step : toApply) {
                        String key = key(step.branch());
                        results.put(key, actedOn.contains(key)
                                ? new StepResult(step, Outcome.FAILED, "resource " + step.branch().resourceName()
                                        + " still lists the branch after it was " + (step.action() == RecoveryAction.COMMIT
                                        ? "committed" : "rolled back") + "; check that database", Optional.empty())
                                : notReached(step, "the run stopped because a resource kept listing finished branches"));
                    }
                    break;
                }
                if (passes >= Recovery.MAX_PASSES) {
                    LOG.warn("Recovery stopped after {} passes with {} branch(es) still to finish", passes, toApply.size());
                    for (PlannedStep step : toApply) {
                        results.put(key(step.branch()), notReached(step, "the run stopped after " + passes + " passes"));
                    }
                    break;
                }
                if (!prepared) {
                    beforeApply.accept(toApply);
                    prepared = true;
                }
                toApply = markers.writeMissing(toApply, last, results, failed);
                if (toApply.isEmpty()) {
                    break;
                }
                keys.clear();
                for (PlannedStep step : toApply) {
                    keys.add(key(step.branch()));
                }
                for (PlannedStep step : toApply) {
                    XAResource xa = pass.xaResource(step.branch().resourceName());
                    StepResult result = resolver.apply(xa, step, heuristics::add);
                    recordFinished(step, result);
                    String key = key(step.branch());
                    StepResult previous = results.get(key);
                    boolean keepEarlier = previous != null && result.outcome() == Outcome.ALREADY_DONE
                            && (previous.outcome() == Outcome.COMMITTED || previous.outcome() == Outcome.ROLLED_BACK);
                    if (!keepEarlier) {
                        results.put(key, result);
                    }
                    if (result.outcome() == Outcome.FAILED) {
                        failed.add(key);
                    }
                }
                actedOn = keys;
            }
        }
        markers.deleteFinished(last);
        return new ResolveReport(false, new ArrayList<>(results.values()), heuristics, last.unreachableResources(),
                new ArrayList<>(ends), unfinishedAfter(last, ends), last.branches().size(), passes);
    }

    /**
     * Makes a finished branch of a logged commit durable before the pass goes on (forced), so a
     * database that lists it again later is recognised (the impostor rule of {@link RecoveryRules}).
     * A failure to force ends the run with the exception: the pass must not count as complete.
     */
    private void recordFinished(PlannedStep step, StepResult result) {
        if (step.action() != RecoveryAction.COMMIT) {
            return;
        }
        Outcome o = result.outcome();
        if (o == Outcome.COMMITTED || o == Outcome.ALREADY_DONE || o == Outcome.HEURISTIC) {
            InDoubtBranch b = step.branch();
            log.logBranchDone(b.gtrid(), new BranchRecord(b.resourceName(), b.xid().branchQualifier()));
        }
    }

    private static StepResult notReached(PlannedStep step, String why) {
        return new StepResult(step, Outcome.LEFT, "not applied: " + why + "; the next run applies it", Optional.empty());
    }

    private void writeEnds(ScanResult scan, Predicate<UnfinishedCommit> mayEnd, Set<String> ends) {
        for (UnfinishedCommit uc : scan.unfinishedWithoutBranches()) {
            if (uc.finished() && !ends.contains(uc.gtrid()) && mayEnd.test(uc)) {
                // Forced: this END is what lets a re-listed branch of this gtrid meet presumed abort.
                log.logEndForced(uc.gtrid());
                ends.add(uc.gtrid());
                LOG.info("Recovery wrote END for transaction {}: every branch {} is finished", uc.gtrid(), uc.branches());
            }
        }
    }

    /** Logged commits still without END, with what keeps each from finishing, as of the last scan. */
    private List<UnfinishedCommit> unfinishedAfter(ScanResult last, Set<String> ends) {
        Set<String> known = new HashSet<>();
        for (RecoverableResource r : resources) {
            known.add(r.resourceName());
        }
        List<UnfinishedCommit> result = new ArrayList<>();
        for (CommitRecord record : log.unfinished()) {
            if (ends.contains(record.gtrid())) {
                continue; // END queued (the log applies it asynchronously)
            }
            Map<String, String> blockedBy = new LinkedHashMap<>(
                    RecoveryPass.blockers(log, record, known, last.unreachableResources()));
            for (InDoubtBranch b : last.branches()) {
                if (b.gtrid().equals(record.gtrid())) {
                    blockedBy.putIfAbsent(b.resourceName(), "branch " + b.xid().branchQualifier() + " is still prepared");
                }
            }
            if (blockedBy.isEmpty()) {
                String owner = RecoveryRules.ownerOf(record.gtrid());
                String why = liveness.mayStillDecide(owner, record.gtrid())
                        ? liveness.whyItMayStillDecide(owner, record.gtrid()) : "not finished in this run";
                for (BranchRecord b : record.branches()) {
                    blockedBy.putIfAbsent(b.resourceName(), why);
                }
            }
            result.add(new UnfinishedCommit(record.gtrid(), Instant.ofEpochMilli(record.decidedAtMillis()),
                    record.branches(), blockedBy));
        }
        return result;
    }

    /** A branch's identity within a run: its resource and its Xid. */
    static String key(InDoubtBranch b) {
        return b.resourceName() + '\u0000' + b.xid();
    }
}
