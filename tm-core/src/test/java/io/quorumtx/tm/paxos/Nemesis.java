package io.quorumtx.tm.paxos;

import io.quorumtx.tm.paxos.PaxosSimulation.Agent;
import io.quorumtx.tm.paxos.PaxosSimulation.Counter;
import io.quorumtx.tm.paxos.PaxosSimulation.Envelope;
import io.quorumtx.tm.xid.QuorumXid;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The simulation's seeded scheduler of events and faults: each chaos step it draws one event —
 * deliver a message (the commonest), or one of the {@link FaultKind}s the run was given, or
 * ordinary work (a proposer retries, recovery or a lapsed lease starts a takeover, a transaction
 * begins). A fault kind not given leaves its share to message delivery.
 *
 * <p>Bounds that keep the faults within what QuorumTX claims to tolerate: at most F of the 2F+1
 * members ever lose their disk in one run; any two wall clocks stay within the clock-skew margin;
 * one node is paused at a time.
 */
final class Nemesis {
    private static final int LEASE_STEPS = (int) (PaxosSimulation.LEASE_MILLIS / PaxosSimulation.STEP_MILLIS);
    /** A replay delivers a message sent at least this many steps before: not an immediate duplicate. */
    private static final int REPLAY_MIN_AGE_STEPS = 10;

    private final PaxosSimulation sim;
    private final Random random;
    private final Set<FaultKind> faults;
    private final List<String> mayLoseDisk = new ArrayList<>();
    private final List<Envelope> held = new ArrayList<>();
    private String paused;
    private int takeoverAt;
    private int resumeAt;

    Nemesis(PaxosSimulation sim) {
        this.sim = sim;
        this.random = sim.random;
        this.faults = sim.faults;
        List<String> shuffled = new ArrayList<>(sim.nodes);
        java.util.Collections.shuffle(shuffled, random);
        mayLoseDisk.addAll(shuffled.subList(0, (sim.nodes.size() - 1) / 2));
    }

    void chaosStep() {
        if (paused != null && sim.step == takeoverAt) {
            othersTakeOver(paused);
        }
        if (paused != null && sim.step >= resumeAt) {
            resume();
        }
        int roll = random.nextInt(100);
        if (roll < 50) {
            deliverAny();
        } else if (roll < 56) {
            drop();
        } else if (roll < 61) {
            duplicate();
        } else if (roll < 64) {
            replay();
        } else if (roll < 68) {
            crash();
        } else if (roll < 75) {
            SimAcceptor a = randomAcceptor();
            if (!a.isUp()) {
                restart(a);
            }
        } else if (roll < 77) {
            loseDisk();
        } else if (roll < 85) {
            retry();
        } else if (roll < 89) {
            String gtrid = sim.gtrids.get(random.nextInt(sim.gtrids.size()));
            sim.recoveryTakeover(gtrid, randomRunningNode());
        } else if (roll < 91) {
            sim.listingTakeover(randomNode(), randomRunningNode()); // a lapsed lease, or the owner's straggler sweep
        } else if (roll < 93) {
            proposerDies();
        } else if (roll < 95) {
            tear();
        } else if (roll < 96) {
            pause(randomNode(), false);
        } else if (roll < 98) {
            stepClock();
        } else {
            sim.beginTransaction();
        }
    }

    boolean isPaused(String node) {
        return node.equals(paused);
    }

    /** A reply reached a paused node: it is read when the node resumes. */
    void hold(Envelope e) {
        held.add(e);
    }

    /**
     * Whether {@code agent}'s node pauses right after it learned its outcome and before it applies
     * it (the "wrongly presumed dead" coordinator): then the others take over, and it applies late.
     */
    boolean pausesBeforeApplying(Agent agent) {
        if (!faults.contains(FaultKind.PAUSE) || paused != null || random.nextInt(8) != 0) {
            return false;
        }
        pause(agent.node, true);
        return true;
    }

    /** The end of the chaos: the paused node resumes, every acceptor restarts, no more faults. */
    void heal() {
        if (paused != null) {
            resume();
        }
        for (SimAcceptor a : sim.acceptors.values()) {
            if (!a.isUp()) {
                restart(a);
            }
            a.noMoreTears();
        }
    }

    private void deliverAny() {
        sim.deliver(random.nextInt(Math.max(1, sim.network.size())), true);
    }

    private void drop() {
        if (!faults.contains(FaultKind.DROP) || sim.network.isEmpty()) {
            deliverAny();
            return;
        }
        Envelope e = sim.network.remove(random.nextInt(sim.network.size()));
        sim.count(Counter.DROPS, 1);
        sim.log(() -> "drop " + e);
    }

    private void duplicate() {
        if (!faults.contains(FaultKind.DUPLICATE) || sim.network.isEmpty()) {
            deliverAny();
            return;
        }
        Envelope e = sim.network.get(random.nextInt(sim.network.size()));
        sim.network.add(e);
        sim.count(Counter.DUPLICATES, 1);
        sim.log(() -> "duplicate " + e);
    }

    /** A message sent long ago arrives again (a retransmission, a stalled connection, a resent outbox). */
    private void replay() {
        int old = 0;
        while (old < sim.history.size() && sim.history.get(old).sentAtStep() <= sim.step - REPLAY_MIN_AGE_STEPS) {
            old++;
        }
        if (!faults.contains(FaultKind.REPLAY) || old == 0) {
            deliverAny();
            return;
        }
        Envelope e = sim.history.get(random.nextInt(old));
        sim.network.add(e);
        sim.count(Counter.REPLAYS, 1);
        sim.log(() -> "replay " + e);
    }

    private void crash() {
        SimAcceptor a = randomAcceptor();
        if (faults.contains(FaultKind.CRASH) && a.isUp()) {
            a.crash();
            sim.count(Counter.CRASHES, 1);
        }
    }

    private void restart(SimAcceptor a) {
        if (a.restart(sim.breakage == PaxosSimulation.Breakage.WIPED_ACCEPTOR_VOTES
                ? SimAcceptor.EmptyDiskRestart.VOTES_AS_NEW : SimAcceptor.EmptyDiskRestart.REJOIN, sim.millis)) {
            sim.count(Counter.EMPTY_DISK_RESTARTS, 1);
        }
    }

    /** One of the at most F members whose disk may be lost loses it (and is down until it restarts). */
    private void loseDisk() {
        if (!faults.contains(FaultKind.EMPTY_DISK) || mayLoseDisk.isEmpty()) {
            deliverAny();
            return;
        }
        sim.acceptors.get(mayLoseDisk.get(random.nextInt(mayLoseDisk.size()))).wipe();
    }

    private void tear() {
        SimAcceptor a = randomAcceptor();
        if (faults.contains(FaultKind.TORN_WRITE) && a.isUp()) {
            a.tearNextWrite();
        }
    }

    /** A node's wall clock steps to another offset from true time, within the clock-skew margin. */
    private void stepClock() {
        if (!faults.contains(FaultKind.CLOCK_STEP)) {
            deliverAny();
            return;
        }
        long half = PaxosSimulation.CLOCK_SKEW_MARGIN_MILLIS / 2;
        randomAcceptor().stepClock(random.nextLong(2 * half + 1) - half); // any two clocks stay within the margin
        sim.count(Counter.CLOCK_STEPS, 1);
    }

    private void retry() {
        if (sim.agents.isEmpty()) {
            return;
        }
        Agent agent = sim.agents.get(random.nextInt(sim.agents.size()));
        if (agent.active() && !agent.proposal.isChosen() && (agent.proposal.isRejected() || random.nextBoolean())) {
            sim.log(() -> "retry by " + agent);
            agent.broadcast(agent.proposal.retry());
        }
    }

    private void proposerDies() {
        if (sim.agents.isEmpty()) {
            return;
        }
        Agent agent = sim.agents.get(random.nextInt(sim.agents.size()));
        if (agent.alive) {
            agent.alive = false; // a proposer's process dies: it sends and learns nothing more
            sim.log(() -> "proposer dies: " + agent);
        }
    }

    /**
     * Node {@code node} stops for longer than the lease: some of the requests it sent are still in
     * its outbox (they leave when it resumes), replies to it wait; once its lease lapses another
     * node takes over its transactions.
     */
    private void pause(String node, boolean beforeApplying) {
        if (!faults.contains(FaultKind.PAUSE) || paused != null) {
            return;
        }
        paused = node;
        takeoverAt = sim.step + LEASE_STEPS + 1;
        int beyond = random.nextInt(4) == 0 ? (int) (2 * sim.retention.toMillis() / PaxosSimulation.STEP_MILLIS)
                : 3 * LEASE_STEPS;
        resumeAt = takeoverAt + 1 + random.nextInt(Math.min(beyond, 200));
        for (Iterator<Envelope> it = sim.network.iterator(); it.hasNext(); ) {
            Envelope e = it.next();
            if (e.request() != null && e.agent().node.equals(node) && random.nextBoolean()) {
                it.remove();
                held.add(e);
            }
        }
        sim.count(Counter.PAUSES, 1);
        sim.log(() -> "node " + node + " pauses until step " + resumeAt + (beforeApplying ? " before applying" : "")
                + ", holding " + held.size() + " message(s)");
    }

    /** The paused node's lease has lapsed: another node takes over its listed instances and prepared branches. */
    private void othersTakeOver(String owner) {
        String by = randomRunningNode();
        sim.listingTakeover(owner, by);
        for (String gtrid : new ArrayList<>(sim.gtrids)) {
            if (QuorumXid.ownerNodeId(gtrid).equals(owner)) {
                sim.recoveryTakeover(gtrid, by);
            }
        }
    }

    private void resume() {
        sim.log(() -> "node " + paused + " resumes; " + held.size() + " held message(s) leave or arrive late");
        String node = paused;
        paused = null;
        sim.network.addAll(held);
        held.clear();
        for (Agent a : new ArrayList<>(sim.agents)) {
            if (a.node.equals(node) && a.alive && a.applyOnResume) {
                a.apply();
            }
        }
    }

    private SimAcceptor randomAcceptor() {
        return sim.acceptors.get(randomNode());
    }

    private String randomNode() {
        return sim.nodes.get(random.nextInt(sim.nodes.size()));
    }

    /** A node that is not paused (there is always one: at most one is paused). */
    private String randomRunningNode() {
        Set<String> running = new LinkedHashSet<>(sim.nodes);
        running.remove(paused);
        List<String> list = new ArrayList<>(running);
        return list.get(random.nextInt(list.size()));
    }
}
