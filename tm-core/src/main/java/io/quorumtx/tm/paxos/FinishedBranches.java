package io.quorumtx.tm.paxos;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLogException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The replicated log's guard against a database that lists a finished branch again (see
 * {@link io.quorumtx.tm.log.CommitLog#logBranchDone}): a BRANCH_DONE is forced to a majority of
 * acceptors, which keep it with the instance, tombstone included; any majority read later includes
 * one of them. Branches this process recorded or read are remembered while their commit is
 * unfinished work of this node, and dropped at its END. Thread-safe.
 */
final class FinishedBranches {
    private final Replicas replicas;
    private final Duration commitTimeout;
    private final Predicate<String> unfinished;
    private final Map<String, Set<BranchRecord>> remembered = new ConcurrentHashMap<>();

    /** {@code unfinished}: whether a gtrid is unfinished work of this node (only those are remembered). */
    FinishedBranches(Replicas replicas, Duration commitTimeout, Predicate<String> unfinished) {
        this.replicas = replicas;
        this.commitTimeout = commitTimeout;
        this.unfinished = unfinished;
    }

    /**
     * Returns once a majority of acceptors forced {@code branch} of {@code gtrid} finished.
     *
     * @throws CommitLogException (in doubt) if no majority confirmed it within the commit timeout
     */
    void record(String gtrid, BranchRecord branch) {
        replicas.awaitQuorum(new PaxosRequest.BranchDone(gtrid, branch),
                "finished branch " + branch + " of " + gtrid, commitTimeout);
        remembered.computeIfAbsent(gtrid, g -> ConcurrentHashMap.newKeySet()).add(branch);
    }

    /** True if this process recorded or read {@code branch} finished and its commit is not ENDed yet. */
    boolean remembers(String gtrid, BranchRecord branch) {
        Set<BranchRecord> cached = remembered.get(gtrid);
        return cached != null && cached.contains(branch);
    }

    /**
     * Reads a majority: finished if any of them reports the branch so, or if one shows the
     * transaction's tombstone (END is written only once every branch is finished).
     *
     * @throws CommitLogException (in doubt) if no majority answered: neither answer is safe
     */
    boolean read(String gtrid, BranchRecord branch) {
        Learner learner = replicas.read(gtrid, l -> l.finished() || l.heardFromMajority());
        if (learner.finished()) {
            return true;
        }
        if (!learner.heardFromMajority()) {
            throw CommitLogException.inDoubt("Cannot tell whether branch " + branch + " of transaction " + gtrid
                    + " is finished: only " + learner.answered() + " of the acceptors " + replicas.all()
                    + " answered within " + replicas.requestTimeout() + " and a majority is needed; recovery leaves"
                    + " the branch for a later pass");
        }
        Set<BranchRecord> done = learner.doneBranches();
        if (!done.isEmpty() && unfinished.test(gtrid)) {
            remembered.computeIfAbsent(gtrid, g -> ConcurrentHashMap.newKeySet()).addAll(done); // END drops them
        }
        return done.contains(branch);
    }

    /** The commit of {@code gtrid} is ENDed: its branches are read from the acceptors from now on. */
    void forget(String gtrid) {
        remembered.remove(gtrid);
    }
}
