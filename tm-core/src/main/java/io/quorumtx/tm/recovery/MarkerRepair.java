package io.quorumtx.tm.recovery;

import io.quorumtx.tm.spi.PreCommitMarker;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.recovery.ResolveReport.Outcome;
import io.quorumtx.tm.recovery.ResolveReport.StepResult;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.transaction.xa.XAException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three-phase-commit pre-commit markers of a recovery run: writes the missing markers of a 3PC
 * transaction before any of its branches is committed, and deletes the markers of transactions
 * finished everywhere.
 */
final class MarkerRepair {
    /** The engine's logger: operators filter on {@code io.quorumtx.tm.recovery.Recovery}, as before the split. */
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    private final CommitLog log;
    private final List<RecoverableResource> scanned;
    private final OwnerLiveness liveness;
    /** Where missing pre-commit markers are written before a 3PC branch is committed (by name). */
    private final Map<String, RecoverableResource> targets = new LinkedHashMap<>();

    /**
     * @param scanned the resources a pass scans
     * @param targets every resource a marker may be written into (the scanned ones first)
     */
    MarkerRepair(CommitLog log, List<RecoverableResource> scanned, OwnerLiveness liveness,
            Collection<RecoverableResource> targets) {
        this.log = log;
        this.scanned = scanned;
        this.liveness = liveness;
        for (RecoverableResource r : targets) {
            this.targets.putIfAbsent(r.resourceName(), r);
        }
    }

    /**
     * Keeps the invariant of three-phase commit (no branch committed before every participant holds
     * its pre-commit marker) for the COMMIT steps of 3PC branches: writes the missing markers of
     * each such transaction first, and leaves its branches when a marker cannot be written (their
     * result goes into {@code results}, their key into {@code failed}). Called only once the
     * decision is durable (logged, proven by a marker, or the operator's). Returns the steps to apply.
     */
    List<PlannedStep> writeMissing(List<PlannedStep> toApply, ScanResult scan, Map<String, StepResult> results,
            Set<String> failed) {
        Map<String, String> refused = new HashMap<>();
        Map<String, List<CommitRecord>> logged = null;
        for (PlannedStep step : toApply) {
            InDoubtBranch b = step.branch();
            if (step.action() != RecoveryAction.COMMIT || !b.xid().threePhase() || refused.containsKey(b.gtrid())) {
                continue;
            }
            Set<String> participants = new TreeSet<>(scan.markedParticipants(b.gtrid()));
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
                String why = write(name, b.gtrid(), names);
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
                String key = PassLoop.key(step.branch());
                failed.add(key);
                results.put(key, new StepResult(new PlannedStep(step.branch(), RecoveryAction.LEAVE, step.reason()),
                        Outcome.LEFT, "not committed yet: " + why + "; no branch of a 3PC transaction is committed"
                        + " before every participant holds its pre-commit marker", Optional.empty()));
            }
        }
        return kept;
    }

    /** Writes one pre-commit marker; returns why it could not, or null. */
    private String write(String resourceName, String gtrid, List<String> participants) {
        RecoverableResource target = targets.get(resourceName);
        if (target == null || target.preCommitMarkers() == null) {
            return "participant " + resourceName + (target == null ? " is not registered with (or configured for)"
                    + " recovery" : " keeps no pre-commit markers") + ", so its pre-commit marker cannot be written";
        }
        try {
            target.preCommitMarkers().write(gtrid, participants);
            LOG.info("Recovery wrote the pre-commit marker of transaction {} into {}", gtrid, resourceName);
            return null;
        } catch (XAException | RuntimeException e) {
            return "the pre-commit marker could not be written into " + resourceName + " ("
                    + RecoveryPass.describe(e) + ")";
        }
    }

    /**
     * Deletes the pre-commit markers of transactions finished everywhere: no branch of theirs is
     * listed by any participant the marker names, each of which answered this scan, and their owner
     * can no longer be finishing them. A marker is only needed while some branch is prepared.
     */
    void deleteFinished(ScanResult last) {
        if (last.markers().isEmpty()) {
            return;
        }
        Set<String> inDoubt = new HashSet<>();
        for (InDoubtBranch b : last.branches()) {
            inDoubt.add(b.gtrid());
        }
        Set<String> answered = new HashSet<>();
        for (RecoverableResource r : scanned) {
            if (!last.unreachableResources().containsKey(r.resourceName())) {
                answered.add(r.resourceName());
            }
        }
        Map<String, List<String>> byResource = new LinkedHashMap<>();
        last.markers().forEach((resource, markers) -> {
            for (PreCommitMarker m : markers) {
                String gtrid = m.gtrid();
                if (!inDoubt.contains(gtrid) && answered.containsAll(m.participants())
                        && !liveness.mayStillDecide(RecoveryRules.ownerOf(gtrid), gtrid)) {
                    byResource.computeIfAbsent(resource, k -> new ArrayList<>()).add(gtrid);
                }
            }
        });
        byResource.forEach((resource, gtrids) -> {
            try {
                targets.get(resource).preCommitMarkers().delete(gtrids);
                LOG.info("Recovery deleted {} pre-commit marker(s) of finished transactions from {}", gtrids.size(),
                        resource);
            } catch (XAException | RuntimeException e) {
                LOG.warn("Could not delete pre-commit markers of finished transactions from {}: {}; the next pass"
                        + " tries again", resource, RecoveryPass.describe(e));
            }
        });
    }
}
