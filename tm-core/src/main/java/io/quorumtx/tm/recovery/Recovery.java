package io.quorumtx.tm.recovery;

import io.quorumtx.tm.protocol.HeuristicOutcome;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.recovery.ResolveReport.Outcome;
import io.quorumtx.tm.recovery.ResolveReport.StepResult;
import io.quorumtx.tm.xid.QuorumXid;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import javax.transaction.xa.XAResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recovery engine: finds every prepared branch of ours in every resource and brings it to its
 * transaction's outcome. Shared by the transaction manager's recovery passes and the recovery
 * tool, so both decide alike. Stateless between calls: all it knows comes from the resources'
 * {@code recover()}, the commit log, the owner's liveness and the begin time in each gtrid.
 *
 * <p><b>Rules</b> ({@link #plan}), in this order, per branch:
 * <ol>
 *   <li>the owner may still decide or is still finishing it ({@link OwnerLiveness}): LEAVE. This
 *       comes first even for a logged COMMIT, so recovery never races the coordinator's own
 *       phase 2 or its retrier for a branch;</li>
 *   <li>COMMIT logged (read again after the liveness check, so a commit that finished between
 *       the scan and the check is seen): COMMIT — unless the log records this branch as already
 *       finished (BRANCH_DONE): then the database listed a finished branch again, and what it
 *       lists is never-prepared work under a stale name: ROLLBACK (see {@link #impostor});</li>
 *   <li>ABORT logged: ROLLBACK;</li>
 *   <li>no decision and the owner is gone ({@link OwnerLiveness#isGone}): ROLLBACK at once
 *       (presumed abort);</li>
 *   <li>no decision, owner cannot decide, and the transaction is at least the safety interval
 *       old: ROLLBACK; younger, or of unknown age: LEAVE.</li>
 * </ol>
 *
 * <p><b>Passes</b> ({@link #resolve}). Each pass scans every resource (keeping its connection
 * open), writes END for logged commits none of whose branches is still prepared anywhere
 * (a branch absent from a reachable resource after a logged commit has committed), plans, and
 * applies the plan on the connection that listed each branch. Then it rescans: some resources
 * (H2's XAResource) clear only one recovered branch per {@code recover()}. It stops when a pass
 * has nothing to apply, when a pass cleared none of the branches the previous one acted on (those
 * are reported FAILED), or after {@value #MAX_PASSES} passes. Every branch of a logged commit that
 * a pass finishes is recorded BRANCH_DONE (forced) before the pass goes on, and the END it writes
 * is forced: the moment a database forgets a branch, our log knows it is finished. A resource that cannot be scanned
 * is reported with its error and its logged commits stay unfinished for the next run.
 */
public final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    /** Upper bound on scans in one resolve (each pass clears at least one branch, or the run stops). */
    public static final int MAX_PASSES = 100;

    private final CommitLog log;
    private final List<RecoverableResource> resources;
    private final OwnerLiveness liveness;
    private final Duration safetyInterval;
    private final Clock clock;
    private final BranchResolver resolver;
    /** The commit log is lost ({@link #withoutLog}): only pre-commit markers decide. */
    private final boolean logLost;
    /**
     * With {@link #logLost}: the nodes whose commit log the operator declared lost for good. Only
     * their 3PC transactions without any marker roll back; other owners may be alive.
     */
    private final Set<String> lostLogOwners;
    /** Where missing pre-commit markers are written before a 3PC branch is committed (by name). */
    private final Map<String, RecoverableResource> markerTargets;

    /**
     * @param log the commit log whose decisions apply (the local log of the node, held by the caller)
     * @param resources every resource to scan, each under a distinct name
     * @param liveness whether the owner of a transaction may still decide it
     * @param safetyInterval how old a transaction without decision must be before it is rolled back,
     *     when its owner cannot decide but is not known to be gone; zero or positive
     */
    public Recovery(CommitLog log, Collection<RecoverableResource> resources, OwnerLiveness liveness,
            Duration safetyInterval) {
        this(log, resources, liveness, safetyInterval, Clock.systemUTC());
    }

    /** As {@link #Recovery(CommitLog, Collection, OwnerLiveness, Duration)}, with the clock ages are measured by. */
    public Recovery(CommitLog log, Collection<RecoverableResource> resources, OwnerLiveness liveness,
            Duration safetyInterval, Clock clock) {
        this(log, resources, liveness, safetyInterval, clock, false, Set.of(), resources);
    }

    /**
     * Recovery when every copy of the commit log is lost or unreadable. Branches of three-phase
     * transactions are committed where any participant holds a pre-commit marker (the marker
     * proves a durable COMMIT, whoever owns the transaction). Without a marker anywhere a branch is
     * rolled back only if its owner (the node id in its gtrid) is one of {@code lostLogOwners}:
     * the operator states that those nodes' logs are gone for good (so those nodes cannot be
     * running and deciding) and that {@code resources} names every database their transactions
     * used. Any other owner may be alive, between its COMMIT decision and its first marker, so its
     * unmarked branches are left, with the reason; so is everything when {@code lostLogOwners} is
     * empty. Branches of two-phase transactions are always left: without the log nothing can
     * decide them.
     *
     * @param lostLogOwners the node ids whose commit log is declared lost; empty: none
     */
    public static Recovery withoutLog(Collection<RecoverableResource> resources, OwnerLiveness liveness,
            Set<String> lostLogOwners) {
        return new Recovery(new LostCommitLog(), resources, liveness, Duration.ZERO, Clock.systemUTC(), true,
                lostLogOwners, resources);
    }

    /**
     * This recovery, writing missing pre-commit markers also into resources it does not scan
     * (a pass over some resources may commit a 3PC branch whose other participants are elsewhere).
     */
    public Recovery withMarkerTargets(Collection<RecoverableResource> all) {
        List<RecoverableResource> targets = new ArrayList<>(resources);
        targets.addAll(all);
        return new Recovery(log, resources, liveness, safetyInterval, clock, logLost, lostLogOwners, targets);
    }

    private Recovery(CommitLog log, Collection<RecoverableResource> resources, OwnerLiveness liveness,
            Duration safetyInterval, Clock clock, boolean logLost, Set<String> lostLogOwners,
            Collection<RecoverableResource> markerTargets) {
        this.logLost = logLost;
        this.lostLogOwners = Set.copyOf(lostLogOwners);
        this.markerTargets = new LinkedHashMap<>();
        for (RecoverableResource r : markerTargets) {
            this.markerTargets.putIfAbsent(r.resourceName(), r);
        }
        this.log = Objects.requireNonNull(log, "log");
        this.liveness = Objects.requireNonNull(liveness, "liveness");
        this.clock = Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(safetyInterval, "safetyInterval");
        if (safetyInterval.isNegative()) {
            throw new IllegalArgumentException("safetyInterval must be zero or positive, got " + safetyInterval);
        }
        this.safetyInterval = safetyInterval;
        this.resources = List.copyOf(Objects.requireNonNull(resources, "resources"));
        Set<String> names = new HashSet<>();
        for (RecoverableResource r : this.resources) {
            if (!names.add(r.resourceName())) {
                throw new IllegalArgumentException("Two resources are named '" + r.resourceName()
                        + "'; each database needs its own name for recovery to route branches back to it");
            }
        }
        this.resolver = new BranchResolver(clock);
    }

    /** Scans every resource once, changing nothing; connections are closed before it returns. */
    public ScanResult scan() {
        try (RecoveryPass pass = RecoveryPass.scan(log, resources, clock)) {
            return pass.result();
        }
    }

    /** What {@link #resolve} would do with each branch of {@code scan}, with the reason (see the class comment). */
    public List<PlannedStep> plan(ScanResult scan) {
        List<PlannedStep> steps = new ArrayList<>(scan.branches().size());
        for (InDoubtBranch branch : scan.branches()) {
            steps.add(plan(branch, scan, false));
        }
        return steps;
    }

    /** As {@link #plan(ScanResult)}, settling undecided transactions through the log where the rules allow it. */
    private List<PlannedStep> planAndSettle(ScanResult scan) {
        List<PlannedStep> steps = new ArrayList<>(scan.branches().size());
        for (InDoubtBranch branch : scan.branches()) {
            steps.add(plan(branch, scan, true));
        }
        return steps;
    }

    private PlannedStep plan(InDoubtBranch b, ScanResult scan, boolean settle) {
        String owner = b.ownerNode();
        String gtrid = b.gtrid();
        if (liveness.mayStillDecide(owner, gtrid)) {
            return new PlannedStep(b, RecoveryAction.LEAVE, liveness.whyItMayStillDecide(owner, gtrid));
        }
        List<String> markedIn = scan.markedIn(gtrid);
        if (logLost) {
            return planWithoutLog(b, scan, markedIn);
        }
        Decision decision = b.logged() == Decision.COMMIT ? Decision.COMMIT : log.decision(gtrid);
        if (decision == Decision.UNKNOWN && !markedIn.isEmpty()) {
            LOG.warn("Transaction {} has a pre-commit marker in {} but no COMMIT record in the commit log: the log"
                    + " lost it (was it replaced?). The marker proves the decision was COMMIT; committing", gtrid, markedIn);
            return new PlannedStep(b, RecoveryAction.COMMIT, "pre-commit marker in " + String.join(", ", markedIn)
                    + " (written only after a durable COMMIT decision), though the commit log has no record of it");
        }
        String presumed;
        if (decision == Decision.UNKNOWN) {
            if (liveness.isGone(owner, gtrid)) {
                presumed = "no decision and owner " + owner + " is not running (this incarnation can no longer decide)";
            } else if (b.age().isEmpty()) {
                return new PlannedStep(b, RecoveryAction.LEAVE, "no decision yet and the transaction's age is unknown");
            } else if (b.age().get().compareTo(safetyInterval) < 0) {
                return new PlannedStep(b, RecoveryAction.LEAVE, "no decision yet and younger (" + text(b.age().get())
                        + ") than the safety interval (" + text(safetyInterval) + ")");
            } else {
                presumed = "no decision, owner " + owner + " cannot decide any more and the transaction is older ("
                        + text(b.age().get()) + ") than the safety interval (" + text(safetyInterval) + ")";
            }
            if (settle) {
                try {
                    decision = log.settle(gtrid);
                } catch (CommitLogException e) {
                    return new PlannedStep(b, RecoveryAction.LEAVE, presumed + ", but the commit log could not settle"
                            + " it now: " + e.getMessage());
                }
                if (decision == Decision.COMMIT) {
                    return new PlannedStep(b, RecoveryAction.COMMIT, presumed + "; settling it through the commit log"
                            + " carried on an accepted COMMIT");
                }
            }
            if (!settle && log.settlesInDoubt()) {
                return new PlannedStep(b, RecoveryAction.ROLLBACK, presumed + ": no decision chosen yet; resolve first"
                        + " settles it through the replicated log (a COMMIT any replica accepted is carried on and"
                        + " committed; otherwise ABORT)");
            }
            return new PlannedStep(b, RecoveryAction.ROLLBACK, presumed + ": "
                    + (decision == Decision.ABORT ? "ABORT chosen through the commit log" : "presumed abort"));
        }
        if (decision == Decision.COMMIT) {
            boolean finished;
            try {
                finished = log.isBranchDone(gtrid, new BranchRecord(b.resourceName(), b.xid().branchQualifier()));
            } catch (CommitLogException e) {
                return new PlannedStep(b, RecoveryAction.LEAVE, "logged COMMIT, but whether this branch was already"
                        + " finished (and is listed again) cannot be known now: " + e.getMessage());
            }
            if (finished) {
                return impostor(b);
            }
            return new PlannedStep(b, RecoveryAction.COMMIT, "logged COMMIT");
        }
        return new PlannedStep(b, RecoveryAction.ROLLBACK, "logged ABORT");
    }

    /** The rules of {@link #withoutLog}: markers decide, and only 3PC transactions can be decided. */
    private PlannedStep planWithoutLog(InDoubtBranch b, ScanResult scan, List<String> markedIn) {
        if (!markedIn.isEmpty()) {
            return new PlannedStep(b, RecoveryAction.COMMIT, "the commit log cannot be read; the pre-commit marker in "
                    + String.join(", ", markedIn) + " proves the decision was COMMIT");
        }
        if (!b.xid().threePhase()) {
            return new PlannedStep(b, RecoveryAction.LEAVE, "a two-phase-commit transaction cannot be decided without"
                    + " its commit log (some of its branches may have committed); check the databases and use"
                    + " resolve --commit or --rollback for it");
        }
        if (!scan.markerErrors().isEmpty()) {
            return new PlannedStep(b, RecoveryAction.LEAVE, "no pre-commit marker found, but the markers of "
                    + String.join(", ", scan.markerErrors().keySet()) + " could not be read; the transaction stays in"
                    + " doubt until every participant's markers can be read");
        }
        String owner = b.ownerNode();
        if (lostLogOwners.isEmpty()) {
            return new PlannedStep(b, RecoveryAction.LEAVE, "the commit log cannot be read and no participant scanned"
                    + " holds a pre-commit marker: no branch of this 3PC transaction has committed, but its decision"
                    + " may still be in the log. If every copy of node " + owner + "'s log is lost for good and the"
                    + " configuration names every database it used, --assume-log-lost=" + owner + " rolls it back");
        }
        if (!lostLogOwners.contains(owner)) {
            // The owner may be alive, between its durable COMMIT and its first marker: rolling back
            // now would split the transaction it is about to commit.
            return new PlannedStep(b, RecoveryAction.LEAVE, "owned by node " + owner + ", whose commit log is not"
                    + " declared lost (--assume-log-lost=" + String.join(",", new TreeSet<>(lostLogOwners))
                    + "): " + owner + " may be running and about to write its pre-commit markers and commit, so"
                    + " its own recovery decides it");
        }
        return new PlannedStep(b, RecoveryAction.ROLLBACK, "the operator declared node " + owner + "'s commit log"
                + " lost (--assume-log-lost=" + owner + ") and no participant holds a pre-commit marker, so no branch"
                + " of this 3PC transaction committed");
    }

    /**
     * A listed branch that the log records as finished (BRANCH_DONE) under a logged COMMIT: the
     * database listed an already finished branch again. ROLLBACK is the only safe answer:
     * <ul>
     *   <li>our branch under this Xid is finished: recovery or the retrier committed it, or the
     *       database said it no longer knows it, and only then was BRANCH_DONE forced. Xids are
     *       never reused (node, boot epoch and sequence in the gtrid), so no work of ours can be
     *       prepared under this Xid again; committing "it" again cannot be owed to anyone;</li>
     *   <li>what is listed now is therefore other work carrying a stale name. Work that is
     *       prepared gets its own name from its own PREPARE, so a stale name can only sit on work
     *       that was never prepared under this Xid (with H2 2.4.240: a later transaction that
     *       reused the resolved branch's H2 transaction id, never prepared, and died with the
     *       process). Never-prepared work has no commit decision anywhere; committing it would
     *       apply a partial, undecided transaction in this database alone (a mixed outcome),
     *       while rolling it back is exactly what the database does with never-prepared work
     *       after a crash.</li>
     * </ul>
     * The guard is sound for any database, not only H2: it relies on nothing but our own durable
     * record that the branch is finished.
     */
    private PlannedStep impostor(InDoubtBranch b) {
        LOG.error("Database {} lists branch {} of transaction {} as prepared, but the commit log records that branch as"
                + " already finished: the database listed an already finished branch again (known H2 2.4.240 behaviour)."
                + " What it holds under that Xid was never prepared by QuorumTX; rolling it back", b.resourceName(),
                b.xid(), b.gtrid());
        return new PlannedStep(b, RecoveryAction.ROLLBACK, "the database listed an already finished branch again"
                + " (the commit log records this branch of the logged COMMIT as finished; what is listed was never"
                + " prepared under this Xid, known H2 2.4.240 behaviour): rolled back, never committed twice");
    }

    /**
     * Scans, plans and applies, rescanning until nothing of ours that should be finished is left
     * (see the class comment); writes END for logged commits whose branches are all finished.
     * With {@code dryRun} it scans once and changes nothing: COMMIT/ROLLBACK steps come back as
     * {@link Outcome#PLANNED}.
     */
    public ResolveReport resolve(boolean dryRun) {
        if (dryRun) {
            return dryRun(this::plan);
        }
        return run(this::planAndSettle, uc -> !liveness.mayStillDecide(ownerOf(uc.gtrid()), uc.gtrid()), steps -> { });
    }

    /**
     * The operator's explicit decision for one transaction, applied to every prepared branch of it
     * in every resource, whatever the rules above would say. For COMMIT the decision is first made
     * durable in the commit log (unless it is logged already), so a crash half-way leaves a logged
     * commit that the next run finishes. ROLLBACK of a transaction with a logged COMMIT is refused:
     * some of its branches may have committed already.
     *
     * @throws IllegalArgumentException if {@code action} is LEAVE or {@code gtrid} is not a QuorumTX gtrid
     * @throws IllegalStateException for ROLLBACK of a transaction whose COMMIT is logged
     */
    public ResolveReport override(String gtrid, RecoveryAction action) {
        Objects.requireNonNull(gtrid, "gtrid");
        Objects.requireNonNull(action, "action");
        if (action == RecoveryAction.LEAVE) {
            throw new IllegalArgumentException("An override must be COMMIT or ROLLBACK, not LEAVE");
        }
        if (!QuorumXid.isQuorumGtrid(gtrid)) {
            throw new IllegalArgumentException("'" + gtrid + "' is not a QuorumTX global transaction id"
                    + " (<nodeId>.<bootEpoch>.<seq>.<begin>); copy it from the scan output");
        }
        if (action == RecoveryAction.ROLLBACK && log.decision(gtrid) == Decision.COMMIT) {
            throw new IllegalStateException("Transaction " + gtrid + " has a logged COMMIT: some of its branches may"
                    + " already be committed, so rolling the rest back would split it. Commit it instead");
        }
        if (action == RecoveryAction.ROLLBACK) {
            List<String> markedIn = scan().markedIn(gtrid);
            if (!markedIn.isEmpty()) {
                throw new IllegalStateException("Transaction " + gtrid + " has a pre-commit marker in "
                        + String.join(", ", markedIn) + ": it was decided COMMIT and some of its branches may already"
                        + " be committed, so rolling the rest back would split it. Commit it instead");
            }
        }
        String reason = "operator override: " + action;
        Function<ScanResult, List<PlannedStep>> planner = scan -> scan.branches().stream()
                .filter(b -> b.gtrid().equals(gtrid)).map(b -> new PlannedStep(b, action, reason)).toList();
        return run(planner, uc -> uc.gtrid().equals(gtrid), toApply -> {
            if (action == RecoveryAction.COMMIT && log.decision(gtrid) != Decision.COMMIT) {
                List<BranchRecord> branches = toApply.stream()
                        .map(s -> new BranchRecord(s.branch().resourceName(), s.branch().xid().branchQualifier()))
                        .distinct().toList();
                log.logCommit(new CommitRecord(gtrid, branches, clock.millis()));
                LOG.warn("Operator decided COMMIT for transaction {}; logged it for branches {}", gtrid, branches);
            }
        });
    }

    private ResolveReport dryRun(Function<ScanResult, List<PlannedStep>> planner) {
        ScanResult scan = scan();
        List<StepResult> results = new ArrayList<>();
        for (PlannedStep step : planner.apply(scan)) {
            results.add(new StepResult(step, step.action() == RecoveryAction.LEAVE ? Outcome.LEFT : Outcome.PLANNED,
                    "", Optional.empty()));
        }
        return new ResolveReport(true, results, List.of(), scan.unreachableResources(), List.of(),
                unfinishedAfter(scan, Set.of()), scan.branches().size(), 1);
    }

    /** Something to do once, before the first step of a run is applied (the operator's COMMIT record). */
    private interface BeforeApply {
        void accept(List<PlannedStep> toApply);
    }

    private ResolveReport run(Function<ScanResult, List<PlannedStep>> planner, Predicate<UnfinishedCommit> mayEnd,
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
                if (passes >= MAX_PASSES) {
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
                toApply = withMarkers(toApply, last, results, failed);
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
        deleteFinishedMarkers(last);
        return new ResolveReport(false, new ArrayList<>(results.values()), heuristics, last.unreachableResources(),
                new ArrayList<>(ends), unfinishedAfter(last, ends), last.branches().size(), passes);
    }

    /**
     * Keeps the invariant of three-phase commit (no branch committed before every participant holds
     * its pre-commit marker) for the COMMIT steps of 3PC branches: writes the missing markers of
     * each such transaction first, and leaves its branches when a marker cannot be written. Called
     * only once the decision is durable (logged, proven by a marker, or the operator's).
     */
    private List<PlannedStep> withMarkers(List<PlannedStep> toApply, ScanResult scan, Map<String, StepResult> results,
            Set<String> failed) {
        Map<String, String> refused = new HashMap<>();
        Map<String, List<CommitRecord>> logged = null;
        for (PlannedStep step : toApply) {
            InDoubtBranch b = step.branch();
            if (step.action() != RecoveryAction.COMMIT || !b.xid().threePhase() || refused.containsKey(b.gtrid())) {
                continue;
            }
            Set<String> participants = new java.util.TreeSet<>(scan.markedParticipants(b.gtrid()));
            for (InDoubtBranch other : scan.branches()) {
                if (other.gtrid().equals(b.gtrid())) {
                    participants.add(other.resourceName());
                }
            }
            if (logged == null) {
                logged = new HashMap<>();
                for (CommitRecord record : log.unfinished()) {
                    logged.computeIfAbsent(record.gtrid(), g -> new ArrayList<>()).add(record);
                }
            }
            for (CommitRecord record : logged.getOrDefault(b.gtrid(), List.of())) {
                record.branches().forEach(br -> participants.add(br.resourceName()));
            }
            List<String> markedIn = scan.markedIn(b.gtrid());
            List<String> names = List.copyOf(participants);
            for (String name : names) {
                if (markedIn.contains(name)) {
                    continue;
                }
                String why = writeMarker(name, b.gtrid(), names);
                if (why != null) {
                    refused.put(b.gtrid(), why);
                    break;
                }
            }
        }
        if (refused.isEmpty()) {
            return toApply;
        }
        List<PlannedStep> kept = new ArrayList<>(toApply.size());
        for (PlannedStep step : toApply) {
            String why = step.action() == RecoveryAction.COMMIT ? refused.get(step.branch().gtrid()) : null;
            if (why == null) {
                kept.add(step);
            } else {
                String key = key(step.branch());
                failed.add(key);
                results.put(key, new StepResult(new PlannedStep(step.branch(), RecoveryAction.LEAVE, step.reason()),
                        Outcome.LEFT, "not committed yet: " + why + "; no branch of a 3PC transaction is committed"
                        + " before every participant holds its pre-commit marker", Optional.empty()));
            }
        }
        return kept;
    }

    /** Writes one pre-commit marker; returns why it could not, or null. */
    private String writeMarker(String resourceName, String gtrid, List<String> participants) {
        RecoverableResource target = markerTargets.get(resourceName);
        if (target == null || target.preCommitMarkers() == null) {
            return "participant " + resourceName + (target == null ? " is not registered with (or configured for)"
                    + " recovery" : " keeps no pre-commit markers") + ", so its pre-commit marker cannot be written";
        }
        try {
            target.preCommitMarkers().write(gtrid, participants);
            LOG.info("Recovery wrote the pre-commit marker of transaction {} into {}", gtrid, resourceName);
            return null;
        } catch (javax.transaction.xa.XAException | RuntimeException e) {
            return "the pre-commit marker could not be written into " + resourceName + " ("
                    + RecoveryPass.describe(e) + ")";
        }
    }

    /**
     * Deletes the pre-commit markers of transactions finished everywhere: no branch of theirs is
     * listed by any participant the marker names, each of which answered this scan, and their owner
     * can no longer be finishing them. A marker is only needed while some branch is prepared.
     */
    private void deleteFinishedMarkers(ScanResult last) {
        if (last.markers().isEmpty()) {
            return;
        }
        Set<String> inDoubt = new HashSet<>();
        for (InDoubtBranch b : last.branches()) {
            inDoubt.add(b.gtrid());
        }
        Set<String> scanned = new HashSet<>();
        for (RecoverableResource r : resources) {
            if (!last.unreachableResources().containsKey(r.resourceName())) {
                scanned.add(r.resourceName());
            }
        }
        Map<String, List<String>> byResource = new LinkedHashMap<>();
        last.markers().forEach((resource, markers) -> {
            for (io.quorumtx.tm.spi.PreCommitMarker m : markers) {
                String gtrid = m.gtrid();
                if (!inDoubt.contains(gtrid) && scanned.containsAll(m.participants())
                        && !liveness.mayStillDecide(ownerOf(gtrid), gtrid)) {
                    byResource.computeIfAbsent(resource, k -> new ArrayList<>()).add(gtrid);
                }
            }
        });
        byResource.forEach((resource, gtrids) -> {
            try {
                markerTargets.get(resource).preCommitMarkers().delete(gtrids);
                LOG.info("Recovery deleted {} pre-commit marker(s) of finished transactions from {}", gtrids.size(),
                        resource);
            } catch (javax.transaction.xa.XAException | RuntimeException e) {
                LOG.warn("Could not delete pre-commit markers of finished transactions from {}: {}; the next pass"
                        + " tries again", resource, RecoveryPass.describe(e));
            }
        });
    }

    /**
     * Makes a finished branch of a logged commit durable before the pass goes on (forced), so a
     * database that lists it again later is recognised ({@link #impostor}). A failure to force
     * ends the run with the exception: the pass must not count as complete.
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
                String owner = ownerOf(record.gtrid());
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

    private static String key(InDoubtBranch b) {
        return b.resourceName() + '\u0000' + b.xid();
    }

    private static String ownerOf(String gtrid) {
        int dot = gtrid.indexOf('.');
        return dot > 0 ? gtrid.substring(0, dot) : gtrid;
    }

    /** A duration as people write it: 450ms, 12s, 2m, 1m30s, 3h. */
    static String text(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        long s = ms / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s % 60 == 0 ? (s / 60) + "m" : (s / 60) + "m" + (s % 60) + "s";
        }
        return s % 3600 == 0 ? (s / 3600) + "h" : (s / 3600) + "h" + (s % 3600 / 60) + "m";
    }

    @Override
    public String toString() {
        return "Recovery[" + resources.size() + " resource(s), safety interval " + text(safetyInterval) + "]";
    }
}
