package io.quorumtx.tm.paxos;

import java.util.Locale;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.xid.QuorumXid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * One seeded, deterministic run of the Paxos commit log over an in-process network: the real
 * {@link AcceptorState}, {@link Proposal} and {@link AcceptorRecords} code, with acceptors whose
 * "disk" is a byte array written in the real frame format ({@link SimAcceptor}).
 *
 * <p>Chaos phase: coordinators propose COMMIT at round 0 (transactions also begin later on); the
 * {@link Nemesis} injects the faults it is given (drops, duplicates, replays of old messages,
 * acceptor crashes with torn writes, acceptors losing their disk, a node paused past its lease
 * while the others take over, wall-clock steps); other nodes take over transactions as production
 * would: recovery for a transaction a database still lists as prepared, and a lapsed owner's
 * instances that the acceptors list ({@link Acceptor#listAccepted}). Acceptors drop expired
 * tombstones by their own wall clock. Heal phase: every node and acceptor back, no more faults,
 * one proposer per transaction with a prepared branch retries until it learns the outcome.
 *
 * <p>The proposers ({@link Agent}) mirror {@link ReplicatedCommitLog}: whoever learns an outcome
 * applies it to the branches and then finishes the instance at the acceptors the production code
 * sends its FINISH to. Keep them in step when that code changes. The {@link AgreementChecker}
 * judges after every step; a violation throws an {@link AssertionError} naming the seed.
 */
final class PaxosSimulation {

    /** A deliberately broken component, for the tests that prove the checker is not blind. */
    enum Breakage {
        NONE,
        /** An acceptor forgets its promises when it restarts (as if it answered before forcing them). */
        PROMISES_NOT_DURABLE,
        /** An acceptor that lost its disk comes back empty and votes as if it never voted (finding 1). */
        WIPED_ACCEPTOR_VOTES,
        /**
         * Forgetting as before issue 11 (finding 3): FINISH goes only to the accept set frozen when
         * COMMIT was chosen, ABORT is never finished, tombstones expire a retention after they were
         * finished, and an acceptor creates any instance however old.
         */
        INCOMPLETE_FORGETTING,
    }

    /** What a run did, so a series of seeds can prove it exercised every fault. */
    enum Counter {
        TRANSACTIONS, COMMITS, ABORTS, TAKEOVERS, DROPS, DUPLICATES, REPLAYS, CRASHES, TORN_WRITES,
        EMPTY_DISK_RESTARTS, FENCED_REFUSALS, PAUSES, CLOCK_STEPS, TOMBSTONES_EXPIRED, PRESUMED_ABORTS,
        /**
         * Transactions presumed aborted past the horizon after their COMMIT was chosen, every branch
         * committed and the instance forgotten at a majority ({@link AgreementChecker#learned}).
         */
        PRESUMED_ABORTS_OF_FORGOTTEN_COMMITS,
        /** Transactions left in doubt after healing because fewer than a majority may vote in them any more. */
        STUCK_PAST_HORIZON
    }

    record Summary(Map<Counter, Long> counts) {
        Summary {
            counts = Map.copyOf(counts);
        }

        static Summary none() {
            return new Summary(Map.of());
        }

        long count(Counter c) {
            return counts.getOrDefault(c, 0L);
        }

        Summary plus(Summary o) {
            Map<Counter, Long> sum = new EnumMap<>(Counter.class);
            for (Counter c : Counter.values()) {
                sum.put(c, count(c) + o.count(c));
            }
            return new Summary(sum);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            for (Counter c : Counter.values()) {
                b.append(b.length() == 0 ? "" : ", ").append(c.name().toLowerCase(Locale.ROOT).replace('_', ' ')).append(' ')
                        .append(count(c));
            }
            return b.toString();
        }
    }

    static final long STEP_MILLIS = 10;
    static final long LEASE_MILLIS = 200;
    /** Tombstone retention when wall clocks step: short enough that tombstones expire within a run. */
    static final Duration SHORT_RETENTION = Duration.ofMillis(600);
    /** How far apart any two nodes' wall clocks may be (clock steps stay within it). */
    static final long CLOCK_SKEW_MARGIN_MILLIS = 100;
    static final List<String> RESOURCES = List.of("db-a", "db-b");
    private static final long EPOCH_MILLIS = 1_700_000_000_000L;
    private static final int CHAOS_STEPS = 220;
    private static final int HEAL_ROUNDS = 30;
    private static final int MAX_TRANSACTIONS = 5;

    final Random random;
    final Set<FaultKind> faults;
    final Breakage breakage;
    final Duration retention;
    final List<String> nodes = new ArrayList<>();
    final Map<String, SimAcceptor> acceptors = new LinkedHashMap<>();
    final List<String> gtrids = new ArrayList<>();
    final List<Agent> agents = new ArrayList<>();
    final List<Envelope> network = new ArrayList<>();
    /** Every message ever sent, in order: what a replay delivers again. */
    final List<Envelope> history = new ArrayList<>();
    private final long seed;
    private final AgreementChecker checker;
    private final Map<Counter, Long> counts = new EnumMap<>(Counter.class);
    private final StringBuilder trace;
    private Nemesis nemesis;
    int step;
    /** True time since the epoch: every node's wall clock is this plus its offset. */
    long millis = EPOCH_MILLIS;

    PaxosSimulation(long seed, Set<FaultKind> faults, Breakage breakage, boolean tracing) {
        this.seed = seed;
        this.random = new Random(seed);
        this.faults = faults.isEmpty() ? EnumSet.noneOf(FaultKind.class) : EnumSet.copyOf(faults);
        this.breakage = breakage;
        this.retention = faults.contains(FaultKind.CLOCK_STEP) ? SHORT_RETENTION : Duration.ofDays(1);
        this.trace = tracing ? new StringBuilder() : null;
        int n = random.nextBoolean() ? 3 : 5;
        this.checker = new AgreementChecker(n, this::fail, this::log);
        for (int i = 0; i < n; i++) {
            String id = "n" + i;
            nodes.add(id);
            acceptors.put(id, new SimAcceptor(id, random, this::log, checker::accepted,
                    breakage != Breakage.PROMISES_NOT_DURABLE, breakage == Breakage.INCOMPLETE_FORGETTING
                    ? SimAcceptor.Forgetting.RETENTION_AFTER_FINISH : SimAcceptor.Forgetting.HORIZON, retention,
                    CLOCK_SKEW_MARGIN_MILLIS));
        }
    }

    /** Runs the whole simulation; throws {@link AssertionError} naming the seed on any violation. */
    Summary run() {
        nemesis = new Nemesis(this);
        int transactions = 1 + random.nextInt(3);
        for (int t = 0; t < transactions; t++) {
            beginTransaction();
        }
        for (step = 0; step < CHAOS_STEPS; step++) {
            millis += STEP_MILLIS;
            nemesis.chaosStep();
            for (SimAcceptor a : acceptors.values()) {
                count(Counter.TOMBSTONES_EXPIRED, a.expireTombstones(millis));
            }
            checkLearned();
        }
        heal();
        count(Counter.TRANSACTIONS, gtrids.size());
        count(Counter.COMMITS, checker.chosenCommits());
        count(Counter.ABORTS, checker.chosenAborts());
        count(Counter.PRESUMED_ABORTS_OF_FORGOTTEN_COMMITS, checker.forgottenCommits());
        return new Summary(counts);
    }

    /** A transaction prepared on both resources; its coordinator proposes COMMIT (unless it died first). */
    void beginTransaction() {
        if (gtrids.size() >= MAX_TRANSACTIONS) {
            return;
        }
        String owner = nodes.get(random.nextInt(nodes.size()));
        long begin = acceptors.get(owner).wallMillis(millis); // the owner's clock
        String gtrid = QuorumXid.formatGtrid(owner, "e1", gtrids.size() + 1, begin);
        gtrids.add(gtrid);
        List<BranchRecord> branches = new ArrayList<>();
        for (String r : RESOURCES) {
            branches.add(new BranchRecord(r, r));
            checker.prepared(gtrid, r);
        }
        log(() -> "begin " + gtrid);
        if (random.nextInt(10) < 9 && !nemesis.isPaused(owner)) { // else the coordinator died before proposing
            Agent coordinator = new Agent(owner, Proposal.coordinator(proposerId(owner), Set.copyOf(nodes),
                    PaxosValue.commit(new CommitRecord(gtrid, branches, begin))), true);
            agents.add(coordinator);
            coordinator.broadcast(coordinator.proposal.start());
        }
    }

    /** Node {@code node} settles {@code gtrid}: phase 1 above anything seen, carrying on an accepted value or ABORT. */
    void takeover(String gtrid, String node) {
        Agent takeover = new Agent(node, Proposal.takeover(gtrid, proposerId(node), Set.copyOf(nodes), null), false);
        agents.add(takeover);
        count(Counter.TAKEOVERS, 1);
        log(() -> "takeover of " + gtrid + " by " + node);
        takeover.broadcast(takeover.proposal.start());
    }

    /** Recovery on {@code node}: a database lists a branch of {@code gtrid} as prepared, its owner may be dead. */
    boolean recoveryTakeover(String gtrid, String node) {
        if (!checker.anyPrepared(gtrid)) {
            return false; // no database lists it: recovery never starts a takeover for it
        }
        takeover(gtrid, node);
        return true;
    }

    /**
     * {@code node} takes over the instances of {@code owner} (whose lease lapsed) that the acceptors
     * list as accepted and unfinished, as {@link ReplicatedCommitLog#takeOverInstancesOf} does:
     * only if a majority answers the listing.
     */
    void listingTakeover(String owner, String node) {
        Set<String> listed = new TreeSet<>();
        int answers = 0;
        for (SimAcceptor a : acceptors.values()) {
            if (a.isUp()) {
                answers++;
                listed.addAll(((PaxosMessage.AcceptedList) Acceptor.listAccepted(a.state(), owner)).gtrids());
            }
        }
        if (answers < nodes.size() / 2 + 1) {
            return;
        }
        if (node.equals(owner)) { // sweepOwnStragglers: its own instances begun before the horizon
            long horizon = acceptors.get(owner).wallMillis(millis) - retention.toMillis();
            listed.removeIf(g -> QuorumXid.beginMillis(g) >= horizon);
        }
        log(() -> node + " lists the unfinished instances of " + owner + ": " + listed);
        for (String gtrid : listed) {
            takeover(gtrid, node);
        }
    }

    private void heal() {
        nemesis.heal();
        for (String owner : nodes) {
            listingTakeover(owner, nodes.get((nodes.indexOf(owner) + 1) % nodes.size()));
        }
        for (int round = 0; round < HEAL_ROUNDS; round++) {
            drain();
            List<String> undecided = gtrids.stream().filter(g -> checker.anyPrepared(g)).toList();
            if (undecided.isEmpty()) {
                break;
            }
            for (String gtrid : undecided) {
                // One recovering proposer per undecided transaction; it carries on whatever it finds.
                takeover(gtrid, nodes.get(random.nextInt(nodes.size())));
                Agent agent = agents.get(agents.size() - 1);
                drain();
                if (!agent.proposal.isChosen()) {
                    agent.broadcast(agent.proposal.retry());
                }
            }
        }
        drain();
        for (String gtrid : gtrids) {
            if (checker.anyPrepared(gtrid)) {
                List<String> voters = acceptors.values().stream().filter(a -> a.mayVote(gtrid, millis))
                        .map(a -> a.id).toList();
                if (voters.size() >= nodes.size() / 2 + 1) {
                    fail("transaction " + gtrid + " is still undecided after healing although " + voters.size() + " of "
                            + nodes.size() + " acceptors may still vote in it " + voters);
                }
                // A majority refuses it for good (past the horizon, or fenced after a rejoin): in doubt, by design.
                count(Counter.STUCK_PAST_HORIZON, 1);
                log(() -> "STUCK " + gtrid + ": only " + voters + " may still vote in it");
                continue;
            }
            checker.ended(gtrid);
        }
    }

    /** Unique per proposal, as in production: node, then a counter of proposals. */
    private String proposerId(String node) {
        return node + "/" + (agents.size() + 1);
    }

    private void drain() {
        int guard = 0;
        while (!network.isEmpty()) {
            deliver(0, false);
            checkLearned();
            if (++guard > 100_000) {
                fail("messages never stop flowing");
            }
        }
    }

    /** Delivers (and removes) message {@code index}: an acceptor answers it, or its proposer takes the reply. */
    void deliver(int index, boolean chaos) {
        if (network.isEmpty()) {
            return;
        }
        Envelope e = network.remove(index);
        log(() -> "deliver " + e);
        if (e.request() != null) {
            SimAcceptor a = acceptors.get(e.to());
            if (!a.isUp()) {
                return; // lost: the acceptor is down
            }
            List<PaxosReply> replies = a.handle(e.request(), millis, chaos);
            if (!a.isUp()) {
                count(Counter.CRASHES, 1);
                count(Counter.TORN_WRITES, 1);
            }
            for (PaxosReply reply : replies) {
                if (reply.kind() == PaxosReply.Kind.FENCED) {
                    count(Counter.FENCED_REFUSALS, 1);
                }
                send(new Envelope(e.to(), e.from(), null, reply, e.agent(), step));
            }
        } else if (e.agent().alive) {
            if (nemesis.isPaused(e.agent().node)) {
                nemesis.hold(e); // the paused process reads it when it resumes
                return;
            }
            e.agent().onReply(e.from(), e.reply());
        }
    }

    void send(Envelope e) {
        network.add(e);
        history.add(e);
    }

    void count(Counter c, long n) {
        counts.merge(c, n, Long::sum);
    }

    /** Every value a proposer learned is the chosen one. */
    private void checkLearned() {
        for (Agent agent : agents) {
            if (agent.proposal.isChosen()) {
                checker.learned(agent.toString(), agent.proposal.gtrid(), agent.proposal.chosen(),
                        agent.proposal.isExpired());
            }
        }
    }

    private void fail(String what) {
        String message = "Paxos simulation seed " + seed + " with faults " + faults
                + (breakage == Breakage.NONE ? "" : " and breakage " + breakage) + " at step " + step + ": " + what
                + ". Replay with -Dquorumtx.paxos.seed=" + seed;
        if (trace != null) {
            message += "\n" + trace;
        }
        throw new AssertionError(message);
    }

    /** Adds a line to the trace (built only when tracing: most runs are not traced). */
    void log(Supplier<String> line) {
        if (trace != null) {
            trace.append(step).append(": ").append(line.get()).append('\n');
        }
    }

    record Envelope(String from, String to, PaxosRequest request, PaxosReply reply, Agent agent, int sentAtStep) {
        @Override
        public String toString() {
            return from + "->" + to + " " + (request != null ? request : reply)
                    + (sentAtStep < 0 ? "" : " (sent at step " + sentAtStep + ")");
        }
    }

    /**
     * A proposer on a node, as {@link ReplicatedCommitLog} drives one: runs one {@link Proposal},
     * applies what it learns to the branches, then finishes the instance.
     */
    final class Agent {
        final String node;
        final Proposal proposal;
        final boolean coordinator;
        boolean alive = true;
        /** It learned the outcome and was paused before applying it: it applies it when it resumes. */
        boolean applyOnResume;

        Agent(String node, Proposal proposal, boolean coordinator) {
            this.node = node;
            this.proposal = proposal;
            this.coordinator = coordinator;
        }

        boolean active() {
            return alive && !nemesis.isPaused(node);
        }

        void broadcast(List<PaxosRequest> requests) {
            sendTo(requests, nodes);
        }

        void sendTo(List<PaxosRequest> requests, Collection<String> targets) {
            for (PaxosRequest r : requests) {
                for (String to : targets) {
                    send(new Envelope(node, to, r, null, this, step));
                }
            }
        }

        void onReply(String from, PaxosReply reply) {
            boolean was = proposal.isChosen();
            broadcast(proposal.onReply(from, reply));
            if (!was && proposal.isChosen()) {
                checker.learned(toString(), proposal.gtrid(), proposal.chosen(), proposal.isExpired());
                if (proposal.isExpired()) {
                    count(Counter.PRESUMED_ABORTS, 1);
                }
                if (!proposal.chosen().isCommit() && breakage != Breakage.INCOMPLETE_FORGETTING) {
                    finish(proposal.chosen()); // an ABORT is finished at once, before its branches roll back
                }
                if (nemesis.pausesBeforeApplying(this)) {
                    applyOnResume = true;
                } else {
                    apply();
                }
            }
        }

        /**
         * Ends the branches as the outcome says (a presumed abort past the horizon rolls back what
         * is still prepared, as recovery does with what a database lists), then finishes a COMMIT.
         */
        void apply() {
            applyOnResume = false;
            PaxosValue value = proposal.chosen();
            // An ABORT that is a presumption past the horizon, or read back from a forgotten commit's
            // straggler, rolls back only what is still prepared, as recovery does with what a database lists.
            boolean onlyPrepared = !value.isCommit() && (proposal.isExpired() || checker.isForgottenCommit(proposal.gtrid()));
            for (String r : RESOURCES) {
                if (!onlyPrepared || checker.isPrepared(proposal.gtrid(), r)) {
                    checker.apply(toString(), proposal.gtrid(), r, value);
                }
            }
            log(() -> this + " applied " + value + (proposal.isExpired() ? " (presumed: past the horizon)" : ""));
            if (value.isCommit()) {
                finish(value);
            }
        }

        /**
         * {@link ReplicatedCommitLog#logEnd} and {@code finishEverywhere}: a FINISH to every
         * acceptor, lazy (a takeover's COMMIT sometimes forced, recovery's {@code logEndForced}).
         * Broken as before issue 11: a coordinator's COMMIT only to the acceptors that accepted it,
         * an ABORT never.
         */
        private void finish(PaxosValue value) {
            Collection<String> targets = nodes;
            if (breakage == Breakage.INCOMPLETE_FORGETTING) {
                Set<String> acceptedBy = proposal.acceptedBy();
                if (!value.isCommit()) {
                    return;
                }
                if (coordinator && !acceptedBy.isEmpty()) {
                    targets = new TreeSet<>(acceptedBy);
                }
            }
            boolean forced = value.isCommit() && !coordinator && random.nextBoolean();
            Collection<String> to = targets;
            log(() -> this + " finishes " + value + " at " + to);
            sendTo(List.of(new PaxosRequest.Finish(proposal.gtrid(), value, forced)), to);
        }

        @Override
        public String toString() {
            return "proposer " + node + " " + proposal.ballot() + " for " + proposal.gtrid();
        }
    }
}
