package io.quorumtx.tm.protocol;

import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.spi.PreCommitMarkers;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.log.CommitLog;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntConsumer;
import javax.transaction.xa.XAException;

/**
 * Three-phase commit (Skeen, 1981) over a durable commit log: prepare every branch, make the
 * COMMIT decision durable in the log <b>and</b> write a pre-commit marker into every participant,
 * then commit the branches.
 *
 * <p>The invariant this keeps, and that recovery keeps too: <b>no branch is committed before every
 * participant holds its marker.</b> Markers are written only after the decision is durable, so a
 * marker anywhere proves COMMIT; and a transaction none of whose participants holds a marker has
 * not committed any branch, so rolling it back is consistent. That lets recovery finish a
 * transaction from its participants alone when every copy of the commit log is lost (the
 * operator confirms the loss). What it costs: one marker write per participant on the commit path.
 *
 * <p>The markers are written side by side when the branches are (see {@link BranchFanOut}), one
 * per participant, and phase 3 starts only once every one of them has answered.
 *
 * <p>One branch still commits in one phase (there is nothing to be in doubt about), and read-only
 * votes drop out as in 2PC. If a marker cannot be written, the decision stands (it is durable):
 * {@code commit} returns normally and no branch is committed now; the recovery manager writes the
 * missing markers and then commits, as it does after a crash between the decision and phase 3.
 * Markers are deleted lazily after END, and by recovery for transactions finished everywhere.
 */
public final class ThreePhaseCommit extends PresumedAbortCommit {

    private final Runnable recoverSoon;

    /**
     * @param recoverSoon asks the recovery manager for a pass (after a marker could not be written)
     * @see PresumedAbortCommit#PresumedAbortCommit
     */
    public ThreePhaseCommit(CommitLog log, Consumer<HeuristicOutcome> heuristics,
            Function<String, RecoverableResource> resources, ThreadFactory threads, RetrySchedule retries,
            CrashInjector crash, BranchFanOut fanOut, Runnable recoverSoon) {
        super(log, heuristics, resources, threads, retries, crash, fanOut);
        this.recoverSoon = recoverSoon;
    }

    /** The decision must be durable before the first marker and the first branch commit: never carried. */
    @Override
    protected boolean carriesDecisionInBranch() {
        return false;
    }

    @Override
    protected String cannotCommit(List<Participant> branches) {
        for (Participant p : branches) {
            RecoverableResource r = resources.apply(p.resourceName());
            if (r == null || r.preCommitMarkers() == null) {
                return "three-phase commit needs a pre-commit marker in every participant, and resource "
                        + p.resourceName() + (r == null ? " is not registered with the transaction manager"
                        : " keeps no pre-commit markers") + "; register it as a TransactionalDataSource or a"
                        + " ThreePhaseResource, or commit this transaction with TWO_PHASE";
            }
        }
        return null;
    }

    @Override
    protected boolean preCommit(String gtrid, Participant[] yes, int yesCount) {
        List<Participant> holders = markerHolders(yes, yesCount);
        List<String> names = new ArrayList<>(holders.size());
        for (Participant p : holders) {
            names.add(p.resourceName());
        }
        Exception[] failures = new Exception[holders.size()];
        IntConsumer write = i -> {
            try {
                markers(names.get(i)).write(gtrid, names);
            } catch (XAException | RuntimeException e) {
                failures[i] = e;
            }
        };
        if (fanOut.parallelFor(holders)) {
            // Side by side like the branches' own calls; with a crash injector the committing
            // thread's marker is written first and AFTER_SOME_MARKERS fires before any other starts.
            boolean[] asked = new boolean[1];
            fanOut.each(holders, write, crash == null ? null : () -> {
                boolean firstWritten = !asked[0] && Arrays.stream(failures).allMatch(Objects::isNull);
                asked[0] = true;
                if (firstWritten) {
                    crash.reached(CrashPoint.AFTER_SOME_MARKERS, gtrid);
                }
            });
        } else {
            for (int i = 0; i < names.size(); i++) {
                write.accept(i);
                if (failures[i] != null) {
                    break;
                }
                if (crash != null && i == 0 && names.size() > 1) {
                    crash.reached(CrashPoint.AFTER_SOME_MARKERS, gtrid);
                }
            }
        }
        for (int i = 0; i < names.size(); i++) {
            if (failures[i] != null) {
                LOG.warn("Transaction {} is decided COMMIT, but the pre-commit marker could not be written into"
                        + " {} ({}); no branch is committed until recovery has written every marker",
                        gtrid, names.get(i), XaCodes.describe(failures[i]), failures[i]);
                recoverSoon.run();
                return false;
            }
        }
        if (crash != null) {
            crash.reached(CrashPoint.AFTER_ALL_MARKERS, gtrid);
        }
        return true;
    }

    @Override
    protected void ended(String gtrid, Participant[] yes, int yesCount) {
        for (String name : participants(yes, yesCount)) {
            try {
                markers(name).deleteLater(gtrid);
            } catch (RuntimeException e) {
                LOG.debug("Marker of {} in {} is left for recovery to delete", gtrid, name, e);
            }
        }
    }

    private PreCommitMarkers markers(String resourceName) {
        RecoverableResource r = resources.apply(resourceName);
        if (r == null || r.preCommitMarkers() == null) { // unregistered since cannotCommit checked it
            throw new IllegalStateException("resource " + resourceName + " is no longer registered");
        }
        return r.preCommitMarkers();
    }

    /**
     * One yes-voter per distinct resource, in order: where the markers go (their names are what
     * every marker lists), and whose locality decides whether they are written side by side.
     */
    private static List<Participant> markerHolders(Participant[] yes, int yesCount) {
        List<Participant> holders = new ArrayList<>(yesCount);
        List<String> names = new ArrayList<>(yesCount);
        for (int i = 0; i < yesCount; i++) {
            if (!names.contains(yes[i].resourceName())) {
                names.add(yes[i].resourceName());
                holders.add(yes[i]);
            }
        }
        return holders;
    }

    /** The distinct resource names of the yes-voters, in order: what every marker lists. */
    private static List<String> participants(Participant[] yes, int yesCount) {
        List<String> names = new ArrayList<>(yesCount);
        for (int i = 0; i < yesCount; i++) {
            if (!names.contains(yes[i].resourceName())) {
                names.add(yes[i].resourceName());
            }
        }
        return names;
    }
}
