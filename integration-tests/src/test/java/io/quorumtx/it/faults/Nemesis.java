package io.quorumtx.it.faults;

import io.quorumtx.testsupport.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Runs the campaign's {@link Schedule} against the members' processes and links: one fault after
 * another with a short gap, until the campaign's time is up. The seed fixes which fault, which
 * member, how and for how long; the interleaving with the members' own work is real time, so a
 * replayed seed injects the same faults, not the same race.
 *
 * <p>Every fault ends before the next begins (a killed member is restarted, a paused one
 * continued, a cut link healed), except in the wipe, which cuts one link, pauses one member and
 * wipes another at once: the scenario of finding 1 (a coordinator paused past its lease while the
 * only other member that accepted its COMMITs loses its disk). A wipe comes at most every
 * {@link #WIPE_SPACING}, and only once every transaction prepared before it was finished: losing
 * a second disk while the first member has not relearned anything is losing two disks of three,
 * which no quorum survives.
 */
final class Nemesis {
    /**
     * More than the replicated log's default clock-skew margin (30 s): a rejoined member refuses to
     * vote on transactions begun before its fence (its rejoin plus that margin), so a second member
     * wiped sooner would leave those transactions one vote short for ever.
     */
    static final Duration WIPE_SPACING = Duration.ofSeconds(45);
    static final Duration DRAIN_WITHIN = Duration.ofSeconds(30);
    static final Duration TAKEOVER_WITHIN = Duration.ofSeconds(15);

    /** The cluster as the nemesis acts on it. */
    interface Cluster {
        List<NodeProcess> nodes();

        ProxiedNetwork network();

        Duration lease();

        /** Gtrids of this campaign's branches still prepared in any database. */
        Set<String> prepared() throws Exception;
    }

    private final Schedule schedule;
    private final Cluster cluster;
    private final Map<Fault, Integer> counts = new EnumMap<>(Fault.class);
    private final List<String> log = new ArrayList<>();
    private int restarts;
    private int skippedWipes;
    private Long lastWipe; // System.nanoTime() of the last wipe, null before the first
    private long started = System.nanoTime();

    Nemesis(long seed, Cluster cluster) {
        this.schedule = new Schedule(seed, cluster.nodes().size());
        this.cluster = cluster;
    }

    /** Injects faults until {@code length} has passed, then heals everything (all members up, links whole). */
    void run(Duration length) throws Exception {
        started = System.nanoTime();
        long end = started + length.toNanos();
        while (System.nanoTime() < end) {
            Schedule.Step step = schedule.next();
            run(step, node(step.member()), node(step.other()));
            hold(step.gapMillis());
        }
        healAll();
    }

    private void run(Schedule.Step step, NodeProcess x, NodeProcess y) throws Exception {
        switch (step.fault()) {
            case KILL -> {
                note(step, x + " SIGKILL, restarted " + (step.pastLease() ? "after its lease lapsed" : "at once"));
                long lapses = lapsesSeen(x);
                x.kill();
                if (step.pastLease()) {
                    awaitLapse(x, lapses);
                }
                restart(x);
            }
            case KILL_MAJORITY -> {
                note(step, x + " and " + y + " SIGKILL for " + step.holdMillis() + " ms");
                x.kill();
                y.kill();
                hold(step.holdMillis());
                restart(x);
                restart(y);
            }
            case RESTART -> {
                note(step, x + " SIGTERM and started again");
                x.terminate();
                restart(x);
            }
            case PAUSE_PAST_LEASE -> {
                note(step, x + " SIGSTOP until its lease lapsed, then " + step.holdMillis() + " ms more");
                long lapses = lapsesSeen(x);
                x.pause();
                awaitLapse(x, lapses);
                hold(step.holdMillis());
                x.resume();
            }
            case WIPE -> wipe(step, x, y);
            case PARTITION_DROP, PARTITION_STALL, PARTITION_CLOSE -> {
                note(step, x + " cut off (" + step.how() + ") " + (step.pastLease() ? "until its lease lapsed, then "
                        : "for ") + step.holdMillis() + " ms");
                long lapses = lapsesSeen(x);
                cluster.network().isolate(x.index(), step.how());
                if (step.pastLease()) {
                    awaitLapse(x, lapses);
                }
                hold(step.holdMillis());
                cluster.network().isolate(x.index(), LinkFault.NONE);
            }
        }
    }

    /**
     * Finding 1's scenario: the link between {@code coordinator} and the third member is cut, so
     * the coordinator's COMMITs are accepted by itself and {@code x} only; the coordinator stops
     * (SIGSTOP) or dies (SIGKILL: its MariaDB sessions end, so its prepared branches can be
     * finished by others) in the middle of its work; {@code x} loses its disk and comes back; the
     * third member, whose promises can now come from itself and the empty {@code x}, takes the
     * coordinator's transactions over; then the coordinator continues or is restarted.
     */
    private void wipe(Schedule.Step step, NodeProcess x, NodeProcess coordinator) throws Exception {
        if (lastWipe != null && System.nanoTime() - lastWipe < WIPE_SPACING.toNanos()) {
            skippedWipes++;
            return;
        }
        Set<String> undrained = drained();
        if (!undrained.isEmpty()) {
            skippedWipes++;
            log.add(String.format("%7.1f s  %-16s skipped: still prepared after %d s: %s", seconds(), "WIPE",
                    DRAIN_WITHIN.toSeconds(), undrained));
            return;
        }
        boolean pause = step.pastLease(); // else the coordinator is killed
        NodeProcess third = cluster.nodes().stream().filter(n -> n != x && n != coordinator).findFirst().orElseThrow();
        note(step, x + " wiped and started again while " + coordinator + " (cut off from " + third.id() + " for "
                + step.holdMillis() + " ms first) is " + (pause ? "stopped" : "killed") + " past its lease");
        cluster.network().cut(coordinator.index(), third.index(), LinkFault.CLOSE);
        hold(step.holdMillis());
        long lapses = lapsesSeen(coordinator);
        if (pause) {
            coordinator.pause();
        } else {
            coordinator.kill();
        }
        cluster.network().cut(coordinator.index(), third.index(), LinkFault.NONE);
        x.kill();
        x.wipe();
        x.startAfterWipe("transfer");
        restarts++;
        lastWipe = System.nanoTime();
        awaitLapse(coordinator, lapses);
        if (pause) {
            coordinator.resume();
        } else {
            // Time for the takeover: until the dead coordinator's branches are finished, or blocked
            // (as they must be when the only acceptor besides it that knows their COMMIT is fenced).
            Set<String> its = new HashSet<>(cluster.prepared());
            its.removeIf(b -> !b.contains(": " + coordinator.id() + "."));
            preparedOf(its, TAKEOVER_WITHIN);
            restart(coordinator);
        }
    }

    /**
     * Before a wipe: every member up, every link whole, and every branch prepared now finished,
     * within a deadline (else the wipe is skipped: the nemesis must not lose a second disk while
     * the first member's old instances may still need a vote). Returns what was not finished.
     *
     * <p>Halfway, the members that own a branch still prepared are restarted: a MariaDB branch
     * left in doubt stays attached to its coordinator's pooled session, and no other session can
     * finish it until that one ends.
     */
    private Set<String> drained() throws Exception {
        healAll();
        Set<String> before = cluster.prepared();
        Set<String> left = preparedOf(before, DRAIN_WITHIN.dividedBy(2));
        if (!left.isEmpty()) {
            for (NodeProcess n : cluster.nodes()) {
                if (left.stream().anyMatch(b -> b.contains(": " + n.id() + "."))) {
                    n.terminate();
                    restart(n);
                }
            }
            left = preparedOf(left, DRAIN_WITHIN.dividedBy(2));
        }
        return left;
    }

    /** Waits until none of {@code branches} is prepared, at most {@code within}; returns those still prepared. */
    private Set<String> preparedOf(Set<String> branches, Duration within) throws Exception {
        try {
            Poll.within(within, "none of " + branches + " prepared any more").pollInterval(Duration.ofMillis(200))
                    .until(() -> stillPrepared(branches).isEmpty());
        } catch (ConditionTimeoutException e) {
            // the caller decides what to do with what is left
        }
        return stillPrepared(branches);
    }

    private Set<String> stillPrepared(Set<String> branches) throws Exception {
        Set<String> now = cluster.prepared();
        now.retainAll(branches);
        return now;
    }

    void healAll() throws Exception {
        cluster.network().healAll();
        for (NodeProcess n : cluster.nodes()) {
            n.resume();
            if (!n.alive()) {
                restart(n);
            }
        }
    }

    private void restart(NodeProcess n) throws Exception {
        n.start("transfer");
        restarts++;
    }

    private long lapsesSeen(NodeProcess x) {
        long seen = 0;
        for (NodeProcess other : cluster.nodes()) {
            if (other != x) {
                seen += other.logLinesWith("The lease of node " + x.id() + " has lapsed");
            }
        }
        return seen;
    }

    /**
     * Waits until another member logs that {@code x}'s lease lapsed (so the fault really outlasted
     * the lease as the cluster judges it), at most a deadline that a loaded machine keeps: if the
     * others cannot see it (no majority among them), the fault simply ends then.
     */
    private void awaitLapse(NodeProcess x, long before) {
        try {
            Poll.within(cluster.lease().multipliedBy(4).plusSeconds(10), "another member logs that "
                    + x.id() + "'s lease lapsed").pollInterval(Duration.ofMillis(100)).until(() -> lapsesSeen(x) > before);
        } catch (ConditionTimeoutException e) {
            // the others cannot see it (no majority among them): the fault simply ends now
        }
    }

    private NodeProcess node(int member) {
        return cluster.nodes().get(member - 1);
    }

    /**
     * How long a fault lasts, or the gap between two: the schedule itself, not a wait for
     * something to happen (those poll their condition with a deadline).
     */
    private static void hold(long millis) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    private void note(Schedule.Step step, String what) {
        Fault fault = step.fault();
        counts.merge(fault, 1, Integer::sum);
        log.add(String.format("%7.1f s  %-16s %s", seconds(), fault, what));
    }

    private double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }

    Map<Fault, Integer> counts() {
        return Map.copyOf(counts);
    }

    int restarts() {
        return restarts;
    }

    int skippedWipes() {
        return skippedWipes;
    }

    /** Every fault with its time from the start, for the report and the failure message. */
    List<String> log() {
        return List.copyOf(log);
    }
}
