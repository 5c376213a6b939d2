package io.quorumtx.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * What one benchmark run measures, read from system properties so that a quick smoke run
 * ({@code -Dbench.warmup=0.5 -Dbench.measure=1 -Dbench.threads=1,16}) needs no code change.
 *
 * <p>The defaults keep a full run under about nine minutes: the H2 workloads (5 systems x 2
 * workloads x 3 thread counts = 30 cells) take near five, at 2 s warm-up plus 6 s measured per
 * cell, plus set-up, plus a 3 s JIT warm-up of every system at the start ({@code bench.jvmWarmup})
 * so that the first system measured does not pay for the JVM's compilation of code the others
 * share (H2, HikariCP). The server workloads ({@code postgres}, {@code mariadb}) use shorter
 * windows, {@code bench.serverWarmup} (1 s) and {@code bench.serverMeasure} (3 s), each capped by
 * {@code bench.warmup} and {@code bench.measure} so a smoke run shortens them too: about two
 * more minutes for both servers.
 */
record BenchConfig(
        Path outputDirectory,
        List<String> systems,
        List<Workload> workloads,
        DatabaseNames databases,
        List<Integer> threads,
        Duration warmUp,
        Duration measure,
        Duration jvmWarmUp,
        Duration serverWarmUp,
        Duration serverMeasure,
        int rounds,
        int accounts) {

    static BenchConfig fromSystemProperties(Path outputDirectory) {
        List<String> systems = systems(list("bench.systems", "default"));
        List<Workload> workloads = list("bench.workloads", "h2-mem,h2-file,postgres,mariadb").stream()
                .map(Workload::byName).toList();
        List<Integer> threads = list("bench.threads", "1,16,64").stream()
                .map(Integer::parseInt).toList();
        if (threads.stream().anyMatch(t -> t < 1 || t > 256)) {
            throw new IllegalArgumentException("bench.threads: each value must be 1..256, was " + threads);
        }
        int accounts = Integer.getInteger("bench.accounts", 10_000);
        int rounds = Integer.getInteger("bench.rounds", 3);
        if (rounds < 1 || rounds > 100) {
            throw new IllegalArgumentException("bench.rounds must be 1..100, was " + rounds);
        }
        if (accounts < 2) {
            throw new IllegalArgumentException("bench.accounts must be at least 2, was " + accounts);
        }
        return new BenchConfig(outputDirectory, systems, workloads,
                DatabaseNames.parse(System.getProperty(DatabaseNames.PROPERTY)), threads,
                seconds("bench.warmup", 2.0), seconds("bench.measure", 6.0), seconds("bench.jvmWarmup", 3.0),
                seconds("bench.serverWarmup", 1.0), seconds("bench.serverMeasure", 3.0), rounds, accounts);
    }

    /** The warm-up per cell of {@code workload}. */
    Duration warmUp(Workload workload) {
        return workload.isServer() && serverWarmUp.compareTo(warmUp) < 0 ? serverWarmUp : warmUp;
    }

    /** The measuring window per cell of {@code workload}. */
    Duration measure(Workload workload) {
        return workload.isServer() && serverMeasure.compareTo(measure) < 0 ? serverMeasure : measure;
    }

    int maxThreads() {
        return threads.stream().mapToInt(Integer::intValue).max().orElse(1);
    }

    /**
     * The systems named in {@code bench.systems}, in the order given; {@code default} stands for
     * every system of the default run ({@link Systems#defaultNames()}), so {@code default,quorumtx-tm}
     * adds a diagnostic one. Each is run once.
     */
    static List<String> systems(List<String> requested) {
        LinkedHashSet<String> systems = new LinkedHashSet<>();
        for (String name : requested) {
            if (name.equals("default")) {
                systems.addAll(Systems.defaultNames());
            } else if (Systems.byName(name).isPresent()) {
                systems.add(name);
            } else {
                throw new IllegalArgumentException("bench.systems: unknown system '" + name + "'; allowed: default,"
                        + String.join(",", Systems.allNames()));
            }
        }
        return List.copyOf(systems);
    }

    private static List<String> list(String property, String defaultValue) {
        return Arrays.stream(System.getProperty(property, defaultValue).split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static Duration seconds(String property, double defaultValue) {
        String raw = System.getProperty(property);
        double value = raw == null ? defaultValue : Double.parseDouble(raw);
        if (value < 0) {
            throw new IllegalArgumentException(property + " must be >= 0 seconds, was " + raw);
        }
        return Duration.ofMillis(Math.round(value * 1000));
    }
}
