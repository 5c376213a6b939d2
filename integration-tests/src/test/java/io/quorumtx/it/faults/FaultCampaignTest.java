package io.quorumtx.it.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.quorumtx.it.realdb.Bank;
import io.quorumtx.it.realdb.Topology;

/**
 * The fault campaign: three QuorumTX members, each its own JVM with the Paxos-replicated log over
 * TCP (HMAC over a shared secret) through {@link ProxiedNetwork}, all moving money between a
 * PostgreSQL and a MariaDB database, one transaction per transfer, while a seeded {@link Nemesis}
 * kills, terminates, pauses past the lease, wipes and cuts off members. Then every fault is healed,
 * every member restarted, recovery given a deadline, and the databases themselves judged:
 * nothing of ours prepared, the money conserved, every transfer either in both databases or in
 * neither, every transfer whose {@code commit()} returned in both, every one it reported rolled
 * back in neither.
 *
 * <p>{@code -Dquorumtx.faults.seconds=N} (default 30, brief enough for `verify`) sets the length of the fault schedule,
 * {@code -Dquorumtx.faults.seed=S} replays one; the seed is printed at the start and in every
 * failure. The members' output and logs are kept under {@code target/fault-campaign/} when the
 * campaign fails.
 */
class FaultCampaignTest {
    private static final int MEMBERS = 3;
    private static final int ACCOUNTS = 50;
    /** The members' lease, as in the other real-database Paxos tests: short, so takeovers come quickly. */
    private static final Duration LEASE = Duration.ofSeconds(2);
    private static final Duration RECOVERY_DEADLINE = Duration.ofSeconds(90);
    private static final String SECRET = "fault-campaign-secret-" + UUID.randomUUID();

    @Test
    void noFaultSplitsATransferOrLosesAnAcknowledgedOne() throws Exception {
        long seed = Long.getLong("quorumtx.faults.seed", new Random().nextLong());
        Duration length = Duration.ofSeconds(Long.getLong("quorumtx.faults.seconds", 30));
        String replay = "seed " + seed + " (replay: -Dquorumtx.faults.seed=" + seed + ")";
        System.out.printf("Fault campaign: %s, %d s of faults%n", replay, length.toSeconds());
        // The node ids are this run's own (so are the tables): other runs share the servers.
        String run = UUID.randomUUID().toString().substring(0, 6);
        Path dir = Path.of("target", "fault-campaign", "seed-" + seed + "-" + run).toAbsolutePath();
        List<Bank> banks = Topology.POSTGRESQL_AND_MARIADB.open(dir, ACCOUNTS); // skips without the servers
        Files.createDirectories(dir);
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= MEMBERS; i++) {
            ids.add("fc" + run + "n" + i);
        }
        List<NodeProcess> nodes = new ArrayList<>();
        boolean passed = false;
        try (ProxiedNetwork network = new ProxiedNetwork(MEMBERS)) {
            List<String> args = List.of("topology=" + Topology.POSTGRESQL_AND_MARIADB,
                    "members=" + String.join(",", network.members(ids)),
                    "tables=" + String.join(",", banks.stream().map(Bank::table).toList()),
                    "accounts=" + ACCOUNTS, "lease=" + LEASE.toMillis(), "commitTimeout=3000", "journal=true");
            for (int i = 1; i <= MEMBERS; i++) {
                nodes.add(new NodeProcess(i, ids.get(i - 1), dir, List.of(network.hostsFileOption(i, dir)),
                        append(args, "node=" + ids.get(i - 1)), SECRET));
            }
            Nemesis nemesis = new Nemesis(seed, cluster(nodes, network, banks, ids));
            try {
                for (NodeProcess n : nodes) {
                    n.start("transfer");
                }
                nemesis.run(length);
                recoverEverything(nodes, banks, ids);
            } catch (Exception | AssertionError e) {
                throw new AssertionError("Fault campaign " + replay + " failed: " + e + "\nfaults:\n"
                        + String.join("\n", nemesis.log()) + "\nlogs in " + dir, e);
            } finally {
                for (NodeProcess n : nodes) {
                    n.kill();
                }
            }
            Verdict verdict = Verdict.of(Verdict.Databases.read(banks, ids), Transfers.of(nodes));
            System.out.println(report(replay, length, nemesis, verdict));
            assertThat(verdict.violations()).as("violations found by the fault campaign, %s; faults:%n%s%nlogs in %s",
                    replay, String.join("\n", nemesis.log()), dir).isEmpty();
            passed = true;
        } finally {
            for (Bank b : banks) {
                b.cleanUp(ids);
            }
            if (passed) {
                delete(dir);
            }
        }
    }

    /**
     * Restarts every member (idle: recovery only; the network is whole again) and waits, at most
     * {@link #RECOVERY_DEADLINE}, until nothing of the campaign is prepared.
     */
    private static void recoverEverything(List<NodeProcess> nodes, List<Bank> banks, List<String> ids)
            throws Exception {
        for (NodeProcess n : nodes) {
            n.kill();
        }
        for (NodeProcess n : nodes) {
            n.start("idle");
        }
        try {
            Poll.ignoringExceptions("recovery finishes every branch of the campaign's members", RECOVERY_DEADLINE,
                    () -> prepared(banks, ids).isEmpty());
        } catch (AssertionError timedOut) {
            // Not the end: the verdict names every branch still prepared, along with what else it finds.
        }
    }

    private static Nemesis.Cluster cluster(List<NodeProcess> nodes, ProxiedNetwork network, List<Bank> banks,
                                           List<String> ids) {
        return new Nemesis.Cluster() {
            @Override
            public List<NodeProcess> nodes() {
                return nodes;
            }

            @Override
            public ProxiedNetwork network() {
                return network;
            }

            @Override
            public Duration lease() {
                return LEASE;
            }

            @Override
            public Set<String> prepared() throws Exception {
                return FaultCampaignTest.prepared(banks, ids);
            }
        };
    }

    static Set<String> prepared(List<Bank> banks, List<String> ids) throws Exception {
        Set<String> found = new HashSet<>();
        for (Bank b : banks) {
            for (String id : ids) {
                found.addAll(b.preparedBranchesOf(id));
            }
        }
        return found;
    }

    private static String report(String replay, Duration length, Nemesis nemesis, Verdict verdict) {
        StringBuilder r = new StringBuilder("Fault campaign report, ").append(replay).append(", ")
                .append(length.toSeconds()).append(" s of faults\n  faults injected:");
        for (Fault f : Fault.values()) {
            r.append(' ').append(f).append('=').append(nemesis.counts().getOrDefault(f, 0));
        }
        r.append(", member restarts=").append(nemesis.restarts()).append(", wipes skipped (not drained)=")
                .append(nemesis.skippedWipes()).append('\n').append(verdict.summary())
                .append("\n  violations: ").append(verdict.violations().size());
        verdict.violations().forEach(v -> r.append("\n    ").append(v));
        r.append("\n  schedule:");
        nemesis.log().forEach(line -> r.append("\n    ").append(line));
        return r.toString();
    }

    private static List<String> append(List<String> list, String more) {
        List<String> all = new ArrayList<>(list);
        all.add(more);
        return all;
    }

    private static void delete(Path dir) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
