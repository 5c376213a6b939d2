package io.quorumtx.tm.paxos;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.xid.QuorumXid;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * One seeded, deterministic run of the Paxos commit log over an in-process network: the real
 * {@link AcceptorState}, {@link Proposal} and {@link AcceptorRecords} code, with acceptors whose
 * "disk" is a byte array written in the real frame format.
 *
 * <p>Chaos phase: coordinators propose COMMIT at round 0, other nodes start takeovers at random
 * moments (a lease that lapsed, or a coordinator that is only slow); the network drops,
 * duplicates, delays and reorders messages; acceptors crash (sometimes tearing the write they
 * were making: a random prefix of its frame stays on disk, no answer is sent) and restart from
 * their disk. Heal phase: every acceptor up, no more faults, one proposer per undecided
 * transaction retries until it learns the outcome. Whoever learns an outcome applies it to the
 * transaction's branches and then tells the acceptors the instance is finished.
 *
 * <p>Checked after every step: at most one value is chosen per transaction (a majority accepted
 * it at one ballot, as seen from the forced records), it never changes, every value a proposer
 * learns is the chosen one, and no branch is committed by one node and rolled back by another.
 * At the end: every transaction is decided and every branch ended as its chosen value says.
 */
final class PaxosSimulation {

    /** A broken acceptor for the checker's own test: forgets its promises when it restarts. */
    enum Fault { NONE, PROMISES_NOT_DURABLE }

    private static final int CHAOS_STEPS = 220;
    private static final int HEAL_ROUNDS = 30;
    private static final List<String> RESOURCES = List.of("db-a", "db-b");

    private final long seed;
    private final Random random;
    private final Fault fault;
    private final List<String> nodes = new ArrayList<>();
    private final Map<String, SimAcceptor> acceptors = new LinkedHashMap<>();
    private final List<String> gtrids = new ArrayList<>();
    private final Map<String, CommitRecord> commits = new HashMap<>();
    private final List<Agent> agents = new ArrayList<>();
    private final List<Envelope> network = new ArrayList<>();
    private final Map<String, Map<Ballot, Set<String>>> acceptedAt = new HashMap<>();
    private final Map<String, Map<Ballot, PaxosValue>> valueAt = new HashMap<>();
    private final Map<String, PaxosValue> chosen = new HashMap<>();
    private final Map<String, String> branchState = new HashMap<>();
    private final StringBuilder trace;
    private int step;

    PaxosSimulation(long seed, Fault fault, boolean tracing) {
        this.seed = seed;
        this.random = new Random(seed);
        this.fault = fault;
        this.trace = tracing ? new StringBuilder() : null;
    }

    /** What a run exercised, summed over seeds by the test to show the faults really happen. */
    record Summary(int commits, int aborts, int crashes, int tornWrites, int takeovers, int drops, int duplicates) {
        Summary plus(Summary o) {
            return new Summary(commits + o.commits, aborts + o.aborts, crashes + o.crashes, tornWrites + o.tornWrites,
                    takeovers + o.takeovers, drops + o.drops, duplicates + o.duplicates);
        }

        static Summary none() {
            return new Summary(0, 0, 0, 0, 0, 0, 0);
        }
    }

    private int crashes;
    private int tornWrites;
    private int takeovers;
    private int drops;
    private int duplicates;

    /** Runs the whole simulation; throws {@link AssertionError} naming the seed on any violation. */
    Summary run() {
        int n = random.nextBoolean() ? 3 : 5;
        for (int i = 0; i < n; i++) {
            String id = "n" + i;
            nodes.add(id);
            acceptors.put(id, new SimAcceptor(id));
        }
        int transactions = 1 + random.nextInt(3);
        for (int t = 0; t < transactions; t++) {
            String owner = nodes.get(random.nextInt(n));
            String gtrid = QuorumXid.formatGtrid(owner, "e" + (t + 1), t + 1, 1_000_000L + t);
            gtrids.add(gtrid);
            List<BranchRecord> branches = new ArrayList<>();
            for (String r : RESOURCES) {
                branches.add(new BranchRecord(r, r));
                branchState.put(gtrid + "/" + r, "PREPARED");
            }
            CommitRecord record = new CommitRecord(gtrid, branches, 1_000_000L + t);
            commits.put(gtrid, record);
            if (random.nextInt(10) < 9) { // else the coordinator died before proposing anything
                Agent coordinator = new Agent(owner, Proposal.coordinator(proposerId(owner), Set.copyOf(nodes),
                        PaxosValue.commit(record)));
                agents.add(coordinator);
                coordinator.broadcast(coordinator.proposal.start());
            }
        }
        for (step = 0; step < CHAOS_STEPS; step++) {
            chaosStep();
            check();
        }
        heal();
        int commitCount = (int) chosen.values().stream().filter(PaxosValue::isCommit).count();
        return new Summary(commitCount, chosen.size() - commitCount, crashes, tornWrites, takeovers, drops, duplicates);
    }

    private void chaosStep() {
        int roll = random.nextInt(100);
        if (roll < 55) {
            deliver(random.nextInt(Math.max(1, network.size())), true);
        } else if (roll < 62) {
            if (!network.isEmpty()) {
                Envelope e = network.remove(random.nextInt(network.size()));
                drops++;
                log("drop " + e);
            }
        } else if (roll < 68) {
            if (!network.isEmpty()) {
                Envelope e = network.get(random.nextInt(network.size()));
                network.add(e);
                duplicates++;
                log("duplicate " + e);
            }
        } else if (roll < 72) {
            SimAcceptor a = randomAcceptor();
            if (a.up) {
                a.crash(false);
            }
        } else if (roll < 80) {
            SimAcceptor a = randomAcceptor();
            if (!a.up) {
                a.restart();
            }
        } else if (roll < 90) {
            if (!agents.isEmpty()) {
                Agent agent = agents.get(random.nextInt(agents.size()));
                if (agent.alive && !agent.proposal.isChosen() && (agent.proposal.isRejected() || random.nextBoolean())) {
                    log("retry by " + agent);
                    agent.broadcast(agent.proposal.retry());
                }
            }
        } else if (roll < 95) {
            String gtrid = gtrids.get(random.nextInt(gtrids.size()));
            String node = nodes.get(random.nextInt(nodes.size()));
            Agent takeover = new Agent(node, Proposal.takeover(gtrid, proposerId(node), Set.copyOf(nodes), null));
            agents.add(takeover);
            takeovers++;
            log("takeover of " + gtrid + " by " + node);
            takeover.broadcast(takeover.proposal.start());
        } else if (roll < 97) {
            if (!agents.isEmpty()) {
                Agent agent = agents.get(random.nextInt(agents.size()));
                if (agent.alive) {
                    agent.alive = false; // a proposer's process dies: it sends and learns nothing more
                    log("proposer dies: " + agent);
                }
            }
        } else {
            SimAcceptor a = randomAcceptor();
            if (a.up) {
                a.tearNextWrite = true;
            }
        }
    }

    private void heal() {
        for (SimAcceptor a : acceptors.values()) {
            if (!a.up) {
                a.restart();
            }
            a.tearNextWrite = false;
        }
        for (int round = 0; round < HEAL_ROUNDS; round++) {
            drain();
            List<String> undecided = new ArrayList<>();
            for (String gtrid : gtrids) {
                if (!decided(gtrid)) {
                    undecided.add(gtrid);
                }
            }
            if (undecided.isEmpty()) {
                break;
            }
            for (String gtrid : undecided) {
                // One recovering proposer per undecided transaction; it carries on whatever it finds.
                String node = nodes.get(random.nextInt(nodes.size()));
                Agent agent = new Agent(node, Proposal.takeover(gtrid, proposerId(node), Set.copyOf(nodes), null));
                agents.add(agent);
                agent.broadcast(agent.proposal.start());
                drain();
                if (!agent.proposal.isChosen()) {
                    agent.broadcast(agent.proposal.retry());
                }
            }
        }
        drain();
        for (String gtrid : gtrids) {
            if (!decided(gtrid)) {
                fail("transaction " + gtrid + " is still undecided after healing");
            }
            PaxosValue value = chosen.get(gtrid);
            if (value == null) {
                fail("a proposer learned an outcome for " + gtrid + " that no majority accepted");
            }
            String expected = value.isCommit() ? "COMMITTED" : "ROLLED_BACK";
            for (String r : RESOURCES) {
                String state = branchState.get(gtrid + "/" + r);
                if (!expected.equals(state)) {
                    fail("branch " + r + " of " + gtrid + " is " + state + " but " + value + " was chosen");
                }
            }
        }
    }

    /** Unique per proposal, as in production: node, then a counter of proposals. */
    private String proposerId(String node) {
        return node + "/" + (agents.size() + 1);
    }

    private boolean decided(String gtrid) {
        for (Agent a : agents) {
            if (a.alive && a.proposal.gtrid().equals(gtrid) && a.proposal.isChosen() && a.finishedBranches) {
                return true;
            }
        }
        return false;
    }

    private void drain() {
        int guard = 0;
        while (!network.isEmpty()) {
            deliver(0, false);
            check();
            if (++guard > 100_000) {
                fail("messages never stop flowing");
            }
        }
    }

    private void deliver(int index, boolean chaos) {
        if (network.isEmpty()) {
            return;
        }
        Envelope e = network.remove(index);
        log("deliver " + e);
        if (e.request != null) {
            SimAcceptor a = acceptors.get(e.to);
            if (!a.up) {
                return; // lost: the acceptor is down
            }
            List<PaxosReply> replies = a.handle(e.request, chaos);
            for (PaxosReply reply : replies) {
                network.add(new Envelope(e.to, e.from, null, reply, e.agent));
            }
        } else if (e.agent.alive) {
            e.agent.onReply(e.from, e.reply);
        }
    }

    /** Records a forced ACCEPTED and checks the chosen-value invariants. */
    private void observeAccepted(String acceptor, AcceptorRecord.Accepted a) {
        Map<Ballot, PaxosValue> values = valueAt.computeIfAbsent(a.gtrid(), k -> new HashMap<>());
        PaxosValue before = values.putIfAbsent(a.ballot(), a.value());
        if (before != null && !before.equals(a.value())) {
            fail("two values at ballot " + a.ballot() + " of " + a.gtrid() + ": " + before + " and " + a.value());
        }
        Set<String> at = acceptedAt.computeIfAbsent(a.gtrid(), k -> new HashMap<>())
                .computeIfAbsent(a.ballot(), k -> new LinkedHashSet<>());
        at.add(acceptor);
        if (at.size() >= nodes.size() / 2 + 1) {
            PaxosValue was = chosen.putIfAbsent(a.gtrid(), a.value());
            if (was != null && !was.equals(a.value())) {
                fail("a second value was chosen for " + a.gtrid() + ": " + was + ", then " + a.value()
                        + " at ballot " + a.ballot() + " by " + at);
            }
            if (was == null) {
                log("CHOSEN " + a.gtrid() + " = " + a.value() + " at " + a.ballot());
            }
        }
    }

    private void check() {
        for (Agent agent : agents) {
            if (agent.proposal.isChosen()) {
                PaxosValue learned = agent.proposal.chosen();
                PaxosValue c = chosen.get(agent.proposal.gtrid());
                if (c == null || !c.equals(learned)) {
                    fail(agent + " learned " + learned + " but the chosen value is " + c);
                }
            }
        }
    }

    private SimAcceptor randomAcceptor() {
        return acceptors.get(nodes.get(random.nextInt(nodes.size())));
    }

    private void fail(String what) {
        String message = "Paxos simulation seed " + seed + (fault == Fault.NONE ? "" : " (fault " + fault + ")")
                + " at step " + step + ": " + what + ". Replay with -Dquorumtx.paxos.seed=" + seed;
        if (trace != null) {
            message += "\n" + trace;
        }
        throw new AssertionError(message);
    }

    private void log(String line) {
        if (trace != null) {
            trace.append(step).append(": ").append(line).append('\n');
        }
    }

    private record Envelope(String from, String to, PaxosRequest request, PaxosReply reply, Agent agent) {
        @Override
        public String toString() {
            return from + "->" + to + " " + (request != null ? request : reply);
        }
    }

    /** A proposer on a node: drives one Proposal, applies what it learns to the branches, then finishes the instance. */
    private final class Agent {
        final String node;
        final Proposal proposal;
        boolean alive = true;
        boolean finishedBranches;

        Agent(String node, Proposal proposal) {
            this.node = node;
            this.proposal = proposal;
        }

        void broadcast(List<PaxosRequest> requests) {
            for (PaxosRequest r : requests) {
                for (String to : nodes) {
                    network.add(new Envelope(node, to, r, null, this));
                }
            }
        }

        void onReply(String from, PaxosReply reply) {
            boolean was = proposal.isChosen();
            broadcast(proposal.onReply(from, reply));
            if (!was && proposal.isChosen()) {
                check();
                apply(proposal.chosen());
            }
        }

        private void apply(PaxosValue value) {
            String outcome = value.isCommit() ? "COMMITTED" : "ROLLED_BACK";
            for (String r : RESOURCES) {
                String key = proposal.gtrid() + "/" + r;
                String state = branchState.get(key);
                if (!state.equals("PREPARED") && !state.equals(outcome)) {
                    fail(this + " would make branch " + r + " " + outcome + " but it is " + state);
                }
                branchState.put(key, outcome);
            }
            finishedBranches = true;
            log(this + " applied " + value + " and finishes the instance");
            broadcast(List.of(new PaxosRequest.Finish(proposal.gtrid(), value, random.nextBoolean())));
        }

        @Override
        public String toString() {
            return "proposer " + node + " " + proposal.ballot() + " for " + proposal.gtrid();
        }
    }

    /** An acceptor with its volatile state and its disk (bytes in the real frame format). */
    private final class SimAcceptor {
        final String id;
        AcceptorState state = new AcceptorState();
        byte[] disk = new byte[0];
        boolean up = true;
        boolean tearNextWrite;

        SimAcceptor(String id) {
            this.id = id;
        }

        List<PaxosReply> handle(PaxosRequest request, boolean chaos) {
            AcceptorState.Step s = state.handle(request, step);
            if (s.record() != null) {
                byte[] frame = AcceptorRecords.encode(s.record());
                if (tearNextWrite && chaos) {
                    tearNextWrite = false;
                    int kept = random.nextInt(frame.length); // a prefix reached the disk, the force never returned
                    disk = concat(disk, Arrays.copyOf(frame, kept));
                    log("acceptor " + id + " crashes tearing its write of " + s.record() + " after " + kept + " bytes");
                    crash(true);
                    return List.of();
                }
                disk = concat(disk, frame); // written and forced before the answer leaves
                if (s.record() instanceof AcceptorRecord.Accepted a) {
                    observeAccepted(id, a);
                }
            }
            return List.of(s.reply());
        }

        void crash(boolean torn) {
            up = false;
            crashes++;
            if (torn) {
                tornWrites++;
            }
            state = null;
            if (!torn) {
                log("acceptor " + id + " crashes");
            }
        }

        void restart() {
            AcceptorRecords.Decoded decoded = AcceptorRecords.decode(ByteBuffer.wrap(disk), 0, disk.length);
            if (decoded.end() < disk.length) {
                log("acceptor " + id + " cuts a torn tail of " + (disk.length - decoded.end()) + " bytes");
                disk = Arrays.copyOf(disk, decoded.end()); // later writes go after the last intact frame
            }
            state = new AcceptorState();
            for (AcceptorRecord r : decoded.records()) {
                if (fault == Fault.PROMISES_NOT_DURABLE && r instanceof AcceptorRecord.Promised) {
                    continue;
                }
                state.replay(r);
            }
            up = true;
            log("acceptor " + id + " restarts with " + decoded.records().size() + " records");
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
