package io.quorumtx.tm.recovery;

import io.quorumtx.tm.log.Decision;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovery's decision rules: what to do with one in-doubt branch, given what was found about it.
 * Pure: no resource, no commit log, no clock; everything comes in through the {@link ScanResult}
 * (markers, unreadable marker stores), the branch (its age, the decision logged at the scan) and
 * {@link Evidence}, which {@link Recovery} answers from the commit log and the owner's liveness
 * and a test answers from a table. The rules, in this order, per branch:
 * <ol>
 *   <li>the owner may still decide or is still finishing it: LEAVE. This comes first even for a
 *       logged COMMIT, so recovery never races the coordinator's own phase 2 or its retrier;</li>
 *   <li>the log is lost ({@link DecisionSource.MarkersDecide}): see {@link #withoutLog};</li>
 *   <li>no decision in the log but a pre-commit marker somewhere: COMMIT (the marker is written
 *       only after a durable COMMIT; the log lost the record);</li>
 *   <li>COMMIT logged (read again after the liveness check, so a commit that finished between the
 *       scan and the check is seen): COMMIT — unless the log records this branch as finished
 *       (BRANCH_DONE): then ROLLBACK (see {@link #impostor}); LEAVE if that cannot be read now;</li>
 *   <li>ABORT logged: ROLLBACK;</li>
 *   <li>no decision and the owner is gone: ROLLBACK (presumed abort);</li>
 *   <li>no decision, owner cannot decide, and the transaction is at least the safety interval
 *       old: ROLLBACK; younger, or of unknown age: LEAVE.</li>
 * </ol>
 * A presumed abort ({@link Settling#SETTLE}) first settles the transaction through the log, which
 * may carry on a COMMIT a replica accepted (then COMMIT) or fail to answer now (then LEAVE).
 */
final class RecoveryRules {
    /** The engine's logger: operators filter on {@code io.quorumtx.tm.recovery.Recovery}, as before the split. */
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    /** Where decisions come from; a setting of the {@link Recovery}, fixed when it is built. */
    sealed interface DecisionSource {
        /** The commit log decides; a pre-commit marker stands in for a COMMIT record the log lost. */
        record LogDecides() implements DecisionSource {
        }

        /**
         * Every copy of the commit log is lost: pre-commit markers decide, and only three-phase
         * transactions can be decided. {@code lostLogOwners}: the nodes whose log the operator
         * declared lost for good (only their marker-less 3PC branches roll back); empty: none.
         */
        record MarkersDecide(Set<String> lostLogOwners) implements DecisionSource {
            public MarkersDecide {
                lostLogOwners = Set.copyOf(lostLogOwners);
            }
        }
    }

    /** Whether planning may settle an undecided transaction through the commit log. */
    enum Settling {
        /** Plan only (scan, dry run): the log is not asked to choose anything; the reason says what resolve would do. */
        PREVIEW,
        /** Resolve: a transaction the rules presume aborted is first settled through the log. */
        SETTLE
    }

    /**
     * A reading that may fail (the replicated log may not reach a majority now).
     *
     * @param value the value read, or null when it could not be read
     * @param unknownBecause why it could not be read, or null
     */
    record Answer<T>(T value, String unknownBecause) {
        static <T> Answer<T> of(T value) {
            return new Answer<>(value, null);
        }

        static <T> Answer<T> unknown(String why) {
            return new Answer<>(null, Objects.requireNonNull(why, "why"));
        }

        boolean known() {
            return unknownBecause == null;
        }
    }

    /**
     * What is known about one branch beyond the scan, asked lazily and only when a rule needs it
     * (each question may be a read of a majority of acceptors).
     */
    interface Evidence {
        /** Why the owner may still decide or is still finishing the transaction; empty if it cannot. */
        Optional<String> ownerMayStillDecide();

        /** True if the owner certainly can no longer decide (its incarnation ended). */
        boolean ownerGone();

        /** The decision the commit log holds now (asked only when the scan did not see a COMMIT). */
        Decision loggedDecision();

        /** Whether the log records this branch of a logged COMMIT as finished (BRANCH_DONE). */
        Answer<Boolean> branchDone();

        /** True if the log itself settles in-doubt transactions (the replicated log). */
        boolean logSettlesInDoubt();

        /** Settles the undecided transaction through the log: the decision it chose or carried on. */
        Answer<Decision> settle();
    }

    private final Duration safetyInterval;
    private final DecisionSource source;

    RecoveryRules(Duration safetyInterval, DecisionSource source) {
        Objects.requireNonNull(safetyInterval, "safetyInterval");
        if (safetyInterval.isNegative()) {
            throw new IllegalArgumentException("safetyInterval must be zero or positive, got " + safetyInterval);
        }
        this.safetyInterval = safetyInterval;
        this.source = Objects.requireNonNull(source, "source");
    }

    Duration safetyInterval() {
        return safetyInterval;
    }

    DecisionSource source() {
        return source;
    }

    /** What to do with {@code b}, listed by {@code scan}, and why (see the class comment). */
    PlannedStep decide(InDoubtBranch b, ScanResult scan, Evidence found, Settling settling) {
        Optional<String> mayStillDecide = found.ownerMayStillDecide();
        if (mayStillDecide.isPresent()) {
            return new PlannedStep(b, RecoveryAction.LEAVE, mayStillDecide.get());
        }
        List<String> markedIn = scan.markedIn(b.gtrid());
        if (source instanceof DecisionSource.MarkersDecide lost) {
            return withoutLog(b, scan, markedIn, lost.lostLogOwners());
        }
        Decision decision = b.logged() == Decision.COMMIT ? Decision.COMMIT : found.loggedDecision();
        if (decision == Decision.UNKNOWN && !markedIn.isEmpty()) {
            LOG.warn("Transaction {} has a pre-commit marker in {} but no COMMIT record in the commit log: the log"
                    + " lost it (was it replaced?). The marker proves the decision was COMMIT; committing",
                    b.gtrid(), markedIn);
            return new PlannedStep(b, RecoveryAction.COMMIT, "pre-commit marker in " + String.join(", ", markedIn)
                    + " (written only after a durable COMMIT decision), though the commit log has no record of it");
        }
        if (decision == Decision.UNKNOWN) {
            return undecided(b, found, settling);
        }
        if (decision == Decision.COMMIT) {
            Answer<Boolean> done = found.branchDone();
            if (!done.known()) {
                return new PlannedStep(b, RecoveryAction.LEAVE, "logged COMMIT, but whether this branch was already"
                        + " finished (and is listed again) cannot be known now: " + done.unknownBecause());
            }
            return done.value() ? impostor(b) : new PlannedStep(b, RecoveryAction.COMMIT, "logged COMMIT");
        }
        return new PlannedStep(b, RecoveryAction.ROLLBACK, "logged ABORT");
    }

    /** No decision in the log: presumed abort once the owner is gone or the safety interval passed. */
    private PlannedStep undecided(InDoubtBranch b, Evidence found, Settling settling) {
        String owner = b.ownerNode();
        String presumed;
        if (found.ownerGone()) {
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
        Decision decision = Decision.UNKNOWN;
        if (settling == Settling.SETTLE) {
            Answer<Decision> settled = found.settle();
            if (!settled.known()) {
                return new PlannedStep(b, RecoveryAction.LEAVE, presumed + ", but the commit log could not settle"
                        + " it now: " + settled.unknownBecause());
            }
            decision = settled.value();
            if (decision == Decision.COMMIT) {
                return new PlannedStep(b, RecoveryAction.COMMIT, presumed + "; settling it through the commit log"
                        + " carried on an accepted COMMIT");
            }
        } else if (found.logSettlesInDoubt()) {
            return new PlannedStep(b, RecoveryAction.ROLLBACK, presumed + ": no decision chosen yet; resolve first"
                    + " settles it through the replicated log (a COMMIT any replica accepted is carried on and"
                    + " committed; otherwise ABORT)");
        }
        return new PlannedStep(b, RecoveryAction.ROLLBACK, presumed + ": "
                + (decision == Decision.ABORT ? "ABORT chosen through the commit log" : "presumed abort"));
    }

    /**
     * The rules when the commit log is lost ({@link DecisionSource.MarkersDecide}): markers decide,
     * and only 3PC transactions can be decided. A marker anywhere proves a durable COMMIT. Without
     * one, a branch rolls back only if its owner's log is declared lost (that node cannot be
     * running); any other owner may be alive between its COMMIT decision and its first marker.
     */
    private static PlannedStep withoutLog(InDoubtBranch b, ScanResult scan, List<String> markedIn,
            Set<String> lostLogOwners) {
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
    private static PlannedStep impostor(InDoubtBranch b) {
        LOG.error("Database {} lists branch {} of transaction {} as prepared, but the commit log records that branch as"
                + " already finished: the database listed an already finished branch again (known H2 2.4.240 behaviour)."
                + " What it holds under that Xid was never prepared by QuorumTX; rolling it back", b.resourceName(),
                b.xid(), b.gtrid());
        return new PlannedStep(b, RecoveryAction.ROLLBACK, "the database listed an already finished branch again"
                + " (the commit log records this branch of the logged COMMIT as finished; what is listed was never"
                + " prepared under this Xid, known H2 2.4.240 behaviour): rolled back, never committed twice");
    }

    /** The node in a gtrid ({@code <nodeId>.<bootEpoch>.<seq>.<begin>}), or the whole text without a dot. */
    static String ownerOf(String gtrid) {
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
}
