package io.quorumtx.tm.recovery;

import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.protocol.HeuristicOutcome;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.recovery.RecoveryRules.Answer;
import io.quorumtx.tm.recovery.RecoveryRules.DecisionSource;
import io.quorumtx.tm.recovery.RecoveryRules.Settling;
import io.quorumtx.tm.xid.QuorumXid;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recovery engine: finds every prepared branch of ours in every resource and brings it to its
 * transaction's outcome. Shared by the transaction manager's recovery passes and the recovery
 * tool, so both decide alike. Stateless between calls: all it knows comes from the resources'
 * {@code recover()}, the commit log, the owner's liveness and the begin time in each gtrid.
 *
 * <p>Its jobs live apart: the <b>rules</b> deciding each branch ({@link #plan}) are the pure
 * {@code RecoveryRules} (that class lists them); the <b>passes</b> ({@link #resolve}) are
 * {@code PassLoop} (scan, END for finished commits, plan, apply on the connection that listed each
 * branch, rescan until nothing is left or no progress is made, at most {@value #MAX_PASSES}
 * passes); the three-phase-commit <b>markers</b> are written and deleted by {@code MarkerRepair};
 * each XA answer is read by {@code BranchResolver}. This class holds the settings and answers the
 * rules' questions from the commit log and the owner's liveness. A resource that cannot be scanned
 * is reported with its error and its logged commits stay unfinished for the next run.
 */
public final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    /** Upper bound on scans in one resolve (each pass clears at least one branch, or the run stops). */
    public static final int MAX_PASSES = 100;

    private final CommitLog log;
    private final List<RecoverableResource> resources;
    private final OwnerLiveness liveness;
    private final Clock clock;
    private final RecoveryRules rules;
    private final PassLoop passes;

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
        this(log, resources, liveness, new RecoveryRules(safetyInterval, new DecisionSource.LogDecides()), clock,
                resources);
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
        return new Recovery(new LostCommitLog(), resources, liveness,
                new RecoveryRules(Duration.ZERO, new DecisionSource.MarkersDecide(lostLogOwners)), Clock.systemUTC(),
                resources);
    }

    /**
     * This recovery, writing missing pre-commit markers also into resources it does not scan
     * (a pass over some resources may commit a 3PC branch whose other participants are elsewhere).
     */
    public Recovery withMarkerTargets(Collection<RecoverableResource> all) {
        List<RecoverableResource> targets = new ArrayList<>(resources);
        targets.addAll(all);
        return new Recovery(log, resources, liveness, rules, clock, targets);
    }

    private Recovery(CommitLog log, Collection<RecoverableResource> resources, OwnerLiveness liveness,
            RecoveryRules rules, Clock clock, Collection<RecoverableResource> markerTargets) {
        this.log = Objects.requireNonNull(log, "log");
        this.liveness = Objects.requireNonNull(liveness, "liveness");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.rules = rules;
        this.resources = List.copyOf(Objects.requireNonNull(resources, "resources"));
        Set<String> names = new HashSet<>();
        for (RecoverableResource r : this.resources) {
            if (!names.add(r.resourceName())) {
                throw new IllegalArgumentException("Two resources are named '" + r.resourceName()
                        + "'; each database needs its own name for recovery to route branches back to it");
            }
        }
        this.passes = new PassLoop(this.log, this.resources, liveness, clock,
                new MarkerRepair(this.log, this.resources, liveness, markerTargets));
    }

    /** Scans every resource once, changing nothing; connections are closed before it returns. */
    public ScanResult scan() {
        return passes.scan();
    }

    /** What {@link #resolve} would do with each branch of {@code scan}, with the reason (see {@code RecoveryRules}). */
    public List<PlannedStep> plan(ScanResult scan) {
        return plan(scan, Settling.PREVIEW);
    }

    private List<PlannedStep> plan(ScanResult scan, Settling settling) {
        List<PlannedStep> steps = new ArrayList<>(scan.branches().size());
        for (InDoubtBranch branch : scan.branches()) {
            steps.add(rules.decide(branch, scan, new Found(branch), settling));
        }
        return steps;
    }

    /**
     * Scans, plans and applies, rescanning until nothing of ours that should be finished is left
     * (see {@code PassLoop}); writes END for logged commits whose branches are all finished.
     */
    public ResolveReport resolve() {
        return passes.run(scan -> plan(scan, Settling.SETTLE),
                uc -> !liveness.mayStillDecide(RecoveryRules.ownerOf(uc.gtrid()), uc.gtrid()), steps -> { });
    }

    /** Scans once and plans, changing nothing: COMMIT/ROLLBACK steps come back as {@link ResolveReport.Outcome#PLANNED}. */
    public ResolveReport dryRun() {
        return passes.dryRun(this::plan);
    }

    /** {@link #dryRun()} if {@code dryRun}, else {@link #resolve()} (for a caller holding the operator's flag). */
    public ResolveReport resolve(boolean dryRun) {
        return dryRun ? dryRun() : resolve();
    }

    /**
     * The operator's explicit decision for one transaction, applied to every prepared branch of it
     * in every resource, whatever the rules ({@code RecoveryRules}) would say. For COMMIT the decision is first made
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
        return passes.run(planner, uc -> uc.gtrid().equals(gtrid), toApply -> {
            if (action == RecoveryAction.COMMIT && log.decision(gtrid) != Decision.COMMIT) {
                List<BranchRecord> branches = toApply.stream()
                        .map(s -> new BranchRecord(s.branch().resourceName(), s.branch().xid().branchQualifier()))
                        .distinct().toList();
                log.logCommit(new CommitRecord(gtrid, branches, clock.millis()));
                LOG.warn("Operator decided COMMIT for transaction {}; logged it for branches {}", gtrid, branches);
            }
        });
    }

    /** The rules' questions about one branch, answered from the commit log and the owner's liveness. */
    private final class Found implements RecoveryRules.Evidence {
        private final InDoubtBranch b;

        Found(InDoubtBranch b) {
            this.b = b;
        }

        @Override
        public Optional<String> ownerMayStillDecide() {
            return liveness.mayStillDecide(b.ownerNode(), b.gtrid())
                    ? Optional.of(liveness.whyItMayStillDecide(b.ownerNode(), b.gtrid())) : Optional.empty();
        }

        @Override
        public boolean ownerGone() {
            return liveness.isGone(b.ownerNode(), b.gtrid());
        }

        @Override
        public Decision loggedDecision() {
            return log.decision(b.gtrid());
        }

        @Override
        public Answer<Boolean> branchDone() {
            try {
                return Answer.of(log.isBranchDone(b.gtrid(), new BranchRecord(b.resourceName(), b.xid().branchQualifier())));
            } catch (CommitLogException e) {
                return Answer.unknown(String.valueOf(e.getMessage()));
            }
        }

        @Override
        public boolean logSettlesInDoubt() {
            return log.settlesInDoubt();
        }

        @Override
        public Answer<Decision> settle() {
            try {
                return Answer.of(log.settle(b.gtrid()));
            } catch (CommitLogException e) {
                return Answer.unknown(String.valueOf(e.getMessage()));
            }
        }
    }

    /** A duration as people write it: 450ms, 12s, 2m, 1m30s, 3h. */
    static String text(Duration d) {
        return RecoveryRules.text(d);
    }

    @Override
    public String toString() {
        return "Recovery[" + resources.size() + " resource(s), safety interval " + text(rules.safetyInterval()) + "]";
    }
}
