package io.quorumtx.tm.paxos;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The simulation's judge, independent of the code under test: it sees every ACCEPTED record an
 * acceptor forced and every value a proposer learned or applied, and reports a violation through
 * {@code fail} (which throws).
 *
 * <p>The invariants: a value is chosen when a majority of acceptors accepted it at one ballot; at
 * most one value is ever chosen per transaction, for the whole run — whatever acceptors crashed,
 * lost their disks or forgot (a later choice of another value is the split this product exists to
 * prevent); every value a proposer learns is the chosen one; a branch ends only as its chosen
 * value says, and never both ways. At the end every branch has ended as the chosen value says.
 */
final class AgreementChecker {
    static final String PREPARED = "PREPARED";
    static final String COMMITTED = "COMMITTED";
    static final String ROLLED_BACK = "ROLLED_BACK";

    private final int quorum;
    private final Consumer<String> fail;
    private final Consumer<Supplier<String>> trace;
    private final Map<String, Map<Ballot, Set<String>>> acceptedAt = new HashMap<>();
    private final Map<String, Map<Ballot, PaxosValue>> valueAt = new HashMap<>();
    private final Map<String, PaxosValue> chosen = new HashMap<>();
    private final Map<String, String> branchState = new HashMap<>();
    private final Map<String, List<String>> resources = new HashMap<>();
    private final Set<String> presumedAbort = new java.util.HashSet<>();
    /** Transactions chosen COMMIT, all branches committed, then forgotten past the horizon at a majority. */
    private final Set<String> forgottenCommits = new java.util.HashSet<>();

    AgreementChecker(int acceptors, Consumer<String> fail, Consumer<Supplier<String>> trace) {
        this.quorum = acceptors / 2 + 1;
        this.fail = fail;
        this.trace = trace;
    }

    void prepared(String gtrid, String resource) {
        branchState.put(gtrid + "/" + resource, PREPARED);
        resources.computeIfAbsent(gtrid, g -> new ArrayList<>()).add(resource);
    }

    boolean isPrepared(String gtrid, String resource) {
        return PREPARED.equals(branchState.get(gtrid + "/" + resource));
    }

    /** A forced ACCEPTED: one value per ballot, and a majority at one ballot chooses it, once and for all. */
    void accepted(String acceptor, AcceptorRecord.Accepted a) {
        Map<Ballot, PaxosValue> values = valueAt.computeIfAbsent(a.gtrid(), k -> new HashMap<>());
        PaxosValue before = values.putIfAbsent(a.ballot(), a.value());
        if (before != null && !before.equals(a.value())) {
            fail.accept("two values at ballot " + a.ballot() + " of " + a.gtrid() + ": " + before + " and " + a.value());
        }
        Set<String> at = acceptedAt.computeIfAbsent(a.gtrid(), k -> new HashMap<>())
                .computeIfAbsent(a.ballot(), k -> new LinkedHashSet<>());
        at.add(acceptor);
        if (at.size() >= quorum) {
            PaxosValue was = chosen.putIfAbsent(a.gtrid(), a.value());
            if (was != null && !was.equals(a.value())) {
                fail.accept("a second value was chosen for " + a.gtrid() + ": " + was + ", then " + a.value()
                        + " at ballot " + a.ballot() + " by " + at);
            }
            if (was == null && a.value().isCommit() && presumedAbort.contains(a.gtrid())) {
                fail.accept("COMMIT was chosen for " + a.gtrid() + " at ballot " + a.ballot() + " by " + at
                        + " after a proposer learned ABORT without a chosen value (a presumed abort)");
            }
            if (was == null) {
                trace.accept(() -> "CHOSEN " + a.gtrid() + " = " + a.value() + " at " + a.ballot());
            }
        }
    }

    /**
     * A proposer learned {@code learned}: it must be the chosen value, with one exception, the
     * <b>presumed abort of a forgotten commit</b>. Without a chosen value only ABORT can be learned
     * (a presumed abort or its FINISH read back); no value may be chosen after that
     * ({@link #accepted}).
     *
     * <p>A {@code presumed} ABORT (the proposer met a majority of acceptors answering EXPIRED: each
     * holds nothing of the instance and its transaction began before the horizon) claims only
     * that nothing can be chosen any more. Why that holds, and what it means when COMMIT was
     * chosen: a chosen COMMIT was accepted by a majority; the EXPIRED majority intersects it in an
     * acceptor that accepted and now holds nothing. {@link AcceptorState} never drops unfinished
     * state, and a member that lost its disk answers FENCED, not EXPIRED, for every transaction
     * that began before its rejoin; so that acceptor dropped a FINISHED tombstone past the horizon.
     * Before the first such presumption no ABORT can have been finished anywhere (ABORT was never
     * chosen), so that tombstone held COMMIT, and a COMMIT is finished only after every branch of
     * the transaction is committed. So a presumed ABORT against a chosen COMMIT is legitimate
     * exactly when every branch is already COMMITTED: the transaction is over and forgotten, and
     * "ABORT" is the presumed-abort answer for a forgotten transaction, as the local log gives
     * after deleting the segment that held its COMMIT and END. Nothing is left to roll back (a
     * branch still prepared then is a violation). The presumed abort's FINISH(ABORT) may then
     * turn a straggler's accepted COMMIT into an ABORT tombstone, and a later reader learns ABORT
     * from it without presuming: legitimate only for such a forgotten commit, with every branch
     * still COMMITTED. Any other ABORT learned against a chosen COMMIT is a violation.
     */
    void learned(String who, String gtrid, PaxosValue learned, boolean presumed) {
        PaxosValue c = chosen.get(gtrid);
        if (c != null && c.isCommit() && !learned.isCommit() && (presumed || forgottenCommits.contains(gtrid))) {
            if (!allCommitted(gtrid)) {
                fail.accept(who + (presumed ? " presumes ABORT past the horizon" : " learned ABORT from a forgotten"
                        + " commit's straggler") + ", but COMMIT was chosen and a branch is not committed yet: "
                        + branchStates(gtrid));
            }
            if (forgottenCommits.add(gtrid)) {
                trace.accept(() -> who + " learned ABORT for the forgotten commit " + gtrid + (presumed ? " (presumed)"
                        : " (read back from a straggler)") + ": every branch was committed before");
            }
            return;
        }
        if (c == null && !learned.isCommit()) {
            presumedAbort.add(gtrid);
            return;
        }
        if (c == null || !c.equals(learned)) {
            fail.accept(who + " learned " + learned + " but the chosen value is " + c);
        }
    }

    /** True once a presumed abort met {@code gtrid} chosen COMMIT with every branch committed ({@link #learned}). */
    boolean isForgottenCommit(String gtrid) {
        return forgottenCommits.contains(gtrid);
    }

    /** How many transactions were presumed aborted after their COMMIT was carried out and forgotten. */
    long forgottenCommits() {
        return forgottenCommits.size();
    }

    private boolean allCommitted(String gtrid) {
        return resources.get(gtrid).stream().allMatch(r -> COMMITTED.equals(branchState.get(gtrid + "/" + r)));
    }

    private String branchStates(String gtrid) {
        return resources.get(gtrid).stream().map(r -> r + "=" + branchState.get(gtrid + "/" + r)).toList().toString();
    }

    /** {@code who} commits or rolls back a branch as {@code value} says: never the other way of an ended one. */
    void apply(String who, String gtrid, String resource, PaxosValue value) {
        String outcome = value.isCommit() ? COMMITTED : ROLLED_BACK;
        String key = gtrid + "/" + resource;
        String state = branchState.get(key);
        if (!state.equals(PREPARED) && !state.equals(outcome)) {
            fail.accept(who + " would make branch " + resource + " " + outcome + " but it is " + state);
        }
        branchState.put(key, outcome);
    }

    boolean anyPrepared(String gtrid) {
        return resources.get(gtrid).stream().anyMatch(r -> isPrepared(gtrid, r));
    }

    /**
     * At the end: every branch ended as the chosen value says, or rolled back if none was chosen
     * (only a presumed abort past the horizon ends branches without a chosen value).
     */
    void ended(String gtrid) {
        PaxosValue value = chosen.get(gtrid);
        String expected = value != null && value.isCommit() ? COMMITTED : ROLLED_BACK;
        for (String r : resources.get(gtrid)) {
            String state = branchState.get(gtrid + "/" + r);
            if (!expected.equals(state)) {
                fail.accept("branch " + r + " of " + gtrid + " is " + state + " but "
                        + (value == null ? "no value" : value) + " was chosen");
            }
        }
    }

    long chosenCommits() {
        return chosen.values().stream().filter(PaxosValue::isCommit).count();
    }

    long chosenAborts() {
        return chosen.size() - chosenCommits();
    }
}
