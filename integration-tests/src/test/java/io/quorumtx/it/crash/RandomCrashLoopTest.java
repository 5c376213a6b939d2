package io.quorumtx.it.crash;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Crash after crash on the same databases and log: each round forks a bank JVM with random
 * wrapping styles, kills it at a random point (an injection point at a random hit, or SIGKILL after
 * a random number of acknowledged transfers), recovers by a random path, and checks the verdict —
 * with every transfer acknowledged in any earlier round still present. In about one round in four
 * nobody recovers: the next round's JVM finds the in-doubt branches at startup, while its own
 * transfers already run, and the verdict for both crashes comes after the next recovery (on by
 * default; {@code -Dquorumtx.crash.unrecoveredRestarts=false} turns it off. Such sequences meet the
 * H2 bug of {@link H2StaleInDoubtNameTest}, which QuorumTX's recovery guards against).
 *
 * <p>Bounded in time: {@code -Dquorumtx.crash.seconds=N} (default 30) sets how long new rounds
 * start; {@code -Dquorumtx.crash.seed=S} replays a failing sequence (the seed is in the failure);
 * {@code -Dquorumtx.crash.recoverers=NEW_MANAGER,TOOL} limits the recovery paths drawn from.
 */
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class RandomCrashLoopTest {
    private static final List<String> POINTS = List.of("AFTER_SOME_PREPARED", "AFTER_ALL_PREPARED",
            "AFTER_COMMIT_RECORD", "BETWEEN_PHASE2_COMMITS", "LOG_APPEND_TORN", "SIGKILL");
    private static final int DATABASES = 3;

    @Test
    @SuppressWarnings("EnumOrdinal") // picks a Wrapping by index from a seeded Random; changing it would change every seed's replayed run
    void repeatedCrashesAtRandomPointsNeverLoseOrHalfCommitATransfer(
            @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        Duration budget = Duration.ofSeconds(Long.getLong("quorumtx.crash.seconds", 30));
        long seed = Long.getLong("quorumtx.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        List<Recoverer> recoverers = java.util.Arrays.stream(
                System.getProperty("quorumtx.crash.recoverers", "NEW_MANAGER,BACKGROUND,TOOL").split(","))
                .map(String::trim).map(Recoverer::valueOf).toList();
        BankFiles.create(dir, DATABASES);
        Set<String> acknowledged = new HashSet<>();
        List<String> rounds = new ArrayList<>();
        boolean unrecoveredRestarts = !"false".equals(System.getProperty("quorumtx.crash.unrecoveredRestarts"));
        List<CrashRun.Crash> unverified = new ArrayList<>();
        Map<String, String> gtrids = new HashMap<>();
        List<Wrapping> wrappings = List.of();
        long end = System.nanoTime() + budget.toNanos();
        int round = 0;
        while (round == 0 || System.nanoTime() < end) {
            round++;
            String point = POINTS.get(random.nextInt(POINTS.size()));
            wrappings = IntStream.range(0, DATABASES).mapToObj(i -> Wrapping.values()[random.nextInt(2)]).toList();
            Recoverer recoverer = recoverers.get(random.nextInt(recoverers.size()));
            // Sometimes nobody recovers: the next round's JVM must, at startup, while it already
            // runs new transfers — and it may wrap the databases the other way round.
            boolean leftForNextRun = unrecoveredRestarts && random.nextInt(4) == 0;
            int threads = 1 + random.nextInt(3);
            int hitOrAcks = point.equals("SIGKILL") ? 1 + random.nextInt(60) : 1 + random.nextInt(5);
            String description = "round " + round + ": " + point + " at " + hitOrAcks + ", " + threads
                    + " threads, " + wrappings
                    + (leftForNextRun ? ", left for the next run" : ", recovered by " + recoverer);
            rounds.add(description);
            String context = "directory " + dir + " (kept on failure), seed " + seed + " (-Dquorumtx.crash.seed=" + seed + "), rounds so far:\n  "
                    + String.join("\n  ", rounds);
            try {
                CrashRun.Crash crash;
                if (point.equals("SIGKILL")) {
                    crash = CrashRun.killAfter(new ChildSpec(dir, "n" + round, wrappings,
                            ChildSpec.NO_INJECTED_CRASH, 0, threads, 1_000_000), hitOrAcks);
                } else {
                    crash = CrashRun.haltAtInjectionPoint(new ChildSpec(dir, "n" + round, wrappings, point,
                            hitOrAcks, threads, 10_000), expectation(point));
                }
                acknowledged.addAll(crash.acknowledged());
                gtrids.putAll(crash.gtrids());
                unverified.add(crash);
                if (!leftForNextRun) {
                    recoverAndVerify(dir, recoverer, wrappings, unverified, acknowledged, gtrids);
                }
            } catch (AssertionError | Exception e) {
                throw new AssertionError(context + "\n" + e.getMessage(), e);
            }
        }
        if (!unverified.isEmpty()) {
            rounds.add("final: recovered by " + Recoverer.NEW_MANAGER);
            try {
                recoverAndVerify(dir, Recoverer.NEW_MANAGER, wrappings, unverified, acknowledged, gtrids);
            } catch (AssertionError | Exception e) {
                throw new AssertionError("seed " + seed + ", rounds:\n  " + String.join("\n  ", rounds) + "\n"
                        + e.getMessage(), e);
            }
        }
        System.out.printf("Random crash loop, seed %d: %d rounds, %d acknowledged transfers all present%n  %s%n",
                seed, round, acknowledged.size(), String.join("\n  ", rounds));
        assertThat(acknowledged).as("acknowledged transfers over %d rounds", round).isNotEmpty();
    }

    /** Recovers, then checks the verdict for every crash since the last recovery. */
    private static void recoverAndVerify(Path dir, Recoverer recoverer, List<Wrapping> wrappings,
            List<CrashRun.Crash> unverified, Set<String> acknowledged, Map<String, String> gtrids) throws Exception {
        String report = recoverer.recover(dir, Backend.allH2(wrappings.size()), wrappings);
        for (CrashRun.Crash crash : unverified) {
            Set<String> present = CrashRun.verify(dir, Backend.allH2(DATABASES), crash, acknowledged, report, gtrids);
            assertThat(present).as("transfers in the databases").hasSizeGreaterThanOrEqualTo(acknowledged.size());
        }
        unverified.clear();
    }

    private static CrashRun.Expected expectation(String point) {
        return switch (point) {
            case "AFTER_COMMIT_RECORD", "BETWEEN_PHASE2_COMMITS" -> CrashRun.Expected.COMMITTED;
            default -> CrashRun.Expected.ROLLED_BACK;
        };
    }
}
