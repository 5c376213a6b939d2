package io.quorumtx.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The side-by-side bank-transfer benchmark: {@code mvn -B -Pbench -DskipTests verify}.
 *
 * <p>Each transaction debits a random account in database A and credits a random account in
 * database B (10,000 accounts each, so contention is low) and commits both with two-phase
 * commit. Every system runs in this one JVM on fresh databases per system and workload; each
 * cell is a warm-up and a fixed measuring window, taken in slices interleaved with the other
 * systems (see {@link #runWorkload}). After each cell the
 * databases are checked: the total balance must be conserved, each database must hold exactly
 * as many updates as clients saw commits, and nothing may be left in doubt; a violation prints
 * a WARNING line. Results go to {@code <outputDirectory>/results.csv}; whatever was asked for and
 * not measured (a server down, a setting too low, a system that failed) is listed at the end of
 * the run and in {@code skipped.csv} ({@link Skips}).
 *
 * <p>The server workloads create their two databases when missing ({@link ServerSetup}), so the
 * command needs nothing but the servers running.
 *
 * <p>Properties (all optional): {@code bench.systems}, {@code bench.workloads},
 * {@code bench.threads} (comma lists), {@code bench.warmup} and {@code bench.measure} (seconds),
 * {@code bench.serverWarmup} and {@code bench.serverMeasure} (shorter windows for the server workloads),
 * {@code bench.rounds} (slices per measuring window), {@code bench.jvmWarmup}, {@code bench.accounts},
 * {@code bench.databases} (the servers' two databases).
 */
public final class BankTransferBenchmark {

    private BankTransferBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "target/bench");
        BenchConfig config = BenchConfig.fromSystemProperties(out);
        for (String sub : List.of("data", "narayana", "atomikos", "quorumtx")) {
            deleteRecursively(out.resolve(sub));
        }
        Files.createDirectories(out);
        System.out.printf(Locale.ROOT, "Bank-transfer benchmark: systems=%s workloads=%s databases=%s threads=%s "
                        + "warm-up=%.1fs measure=%.1fs in %d rounds accounts=%d cpus=%d%n",
                config.systems(), config.workloads().stream().map(Workload::label).toList(), config.databases(),
                config.threads(),
                config.warmUp().toMillis() / 1000.0, config.measure().toMillis() / 1000.0, config.rounds(),
                config.accounts(),
                Runtime.getRuntime().availableProcessors());

        ServerSetup servers = new ServerSetup(config.databases());
        Skips skips = new Skips();
        warmUpJvm(config);
        List<Result> results = new ArrayList<>();
        int warnings = 0;
        for (Workload workload : config.workloads()) {
            warnings += runWorkload(config, workload, servers, skips, results);
        }
        Results.writeCsv(out.resolve("results.csv"), results);
        Results.printTable(results);
        Results.printTargets(results);
        System.out.println("Wrote " + out.resolve("results.csv").toAbsolutePath()
                + (warnings > 0 ? " -- " + warnings + " correctness WARNING(s) above" : ""));
        if (Boolean.parseBoolean(System.getProperty("bench.locks", "true"))) {
            System.out.println();
            System.out.println("Lock benchmark (-Dbench.locks=false to skip)");
            try {
                LockBenchmark.run(out, config.serverWarmUp(), config.serverMeasure(), servers, skips);
            } catch (Exception e) {
                // The summary below must still come: a broken lock cell is one more missing row.
                e.printStackTrace(System.out);
                skips.failed("locks", "-", "the lock benchmark", "stopped, so rows from here on are missing: " + e);
            }
        }
        System.out.println();
        skips.summary().forEach(System.out::println);
        skips.writeCsv(out.resolve("skipped.csv"));
        System.out.println("Wrote " + out.resolve("skipped.csv").toAbsolutePath());
        // Narayana's reaper and Atomikos' threads are not daemons everywhere; end the JVM explicitly.
        System.exit(0);
    }

    /**
     * One workload. H2: every system on its own fresh databases, all open at once, measured
     * interleaved. For each thread count every system warms up, then the measuring window is
     * split into {@code bench.rounds} slices taken round-robin (A B C ... A B C ...), so a burst of
     * load from elsewhere on a shared machine lands on all systems instead of on whichever ran
     * at that moment.
     *
     * <p>Servers: one system at a time (its own fresh {@code bench_account} table in the two
     * databases, dropped afterwards), because five systems' pools at once would exceed
     * PostgreSQL's default 100 connections, and all use the same table name. Thread counts the
     * server cannot take are skipped, as is the whole workload when the server is unreachable or
     * cannot prepare transactions (see {@link ServerProbe}); each skip goes into {@code skips}.
     */
    private static int runWorkload(BenchConfig config, Workload workload, ServerSetup servers, Skips skips,
                                   List<Result> results) {
        if (!workload.isServer()) {
            return runSystems(config, workload, config.systems(), config.threads(), skips, results);
        }
        ServerProbe.Probe probe = ServerProbe.probe(workload, servers, config.maxThreads());
        if (probe.problem() != null) {
            skips.skipped("transfers", workload.label(), "all systems and thread counts", probe.problem());
            return 0;
        }
        List<Integer> threads = config.threads().stream().filter(t -> t <= probe.maxThreads()).toList();
        if (threads.size() < config.threads().size()) {
            List<Integer> left = config.threads().stream().filter(t -> t > probe.maxThreads()).toList();
            skips.skipped("transfers", workload.label(), "threads " + left.stream().map(String::valueOf)
                    .collect(Collectors.joining(" ")) + " (all systems)", "at most "
                    + probe.maxThreads() + " threads fit: " + probe.limit());
        }
        if (threads.isEmpty()) {
            return 0;
        }
        System.out.printf(Locale.ROOT, "%s: one system at a time, warm-up %.1fs, measure %.1fs per cell%n",
                workload.label(), config.warmUp(workload).toMillis() / 1000.0,
                config.measure(workload).toMillis() / 1000.0);
        warmUpOnServer(config, workload, threads.stream().mapToInt(Integer::intValue).max().orElse(1));
        int warnings = 0;
        for (String system : config.systems()) {
            warnings += runSystems(config, workload, List.of(system), threads, skips, results);
        }
        return warnings;
    }

    /**
     * Runs every system for {@code bench.jvmWarmup} on this server workload before any of them is
     * measured there: the servers run one system at a time, and without it the first system paid
     * for compiling the server's driver paths (MariaDB's XA statements, the sockets, the pool)
     * inside its own short windows — the same code's ratio to raw-xa swung from 0.37 to 2.33 with
     * the order of the systems. A system that fails here is reported when it is measured.
     */
    private static void warmUpOnServer(BenchConfig config, Workload workload, int threads) {
        if (config.jvmWarmUp().isZero()) {
            return;
        }
        Path out = config.outputDirectory();
        Path data = out.resolve("data").resolve(workload.label());
        for (String system : config.systems()) {
            try {
                Contestant c = Contestant.open(system, workload, data, out, config, threads);
                try {
                    c.run(threads, config.jvmWarmUp(), false);
                } finally {
                    c.close(); // on a server this drops the warm-up's table; the measured run makes a fresh one
                }
            } catch (Exception e) {
                System.out.println("warning: " + system + " could not be warmed up on " + workload.label() + ": " + e);
            }
        }
        System.out.printf(Locale.ROOT, "%s: every system warmed up (%.1f s each at %d threads)%n", workload.label(),
                config.jvmWarmUp().toMillis() / 1000.0, threads);
    }

    private static int runSystems(BenchConfig config, Workload workload, List<String> systems,
                                  List<Integer> threadCounts, Skips skips, List<Result> results) {
        Path out = config.outputDirectory();
        Path data = out.resolve("data").resolve(workload.label());
        int maxThreads = threadCounts.stream().mapToInt(Integer::intValue).max().orElse(1);
        List<Contestant> contestants = new ArrayList<>();
        int warnings = 0;
        try {
            for (String system : systems) {
                try {
                    contestants.add(Contestant.open(system, workload, data, out, config, maxThreads));
                } catch (Exception e) {
                    warnings += failed(skips, system, workload, "could not start, so no rows", e);
                }
            }
            Duration slice = config.measure(workload).dividedBy(config.rounds());
            for (int threads : threadCounts) {
                List<Contestant> running = new ArrayList<>(contestants);
                for (Contestant c : running) {
                    if (!c.run(threads, config.warmUp(workload), false)) {
                        warnings += failed(skips, c.system, workload, at(threads), c.failure);
                    }
                }
                for (int round = 0; round < config.rounds(); round++) {
                    for (Contestant c : running) {
                        if (c.failure == null && !c.run(threads, slice, true)) {
                            warnings += failed(skips, c.system, workload, at(threads), c.failure);
                        }
                    }
                }
                for (Contestant c : running) {
                    if (c.failure == null) {
                        warnings += c.report(workload, threads, results);
                    }
                }
                contestants.removeIf(c -> {
                    if (c.failure != null) {
                        c.close(); // on a server this drops our table
                    }
                    return c.failure != null;
                });
            }
        } finally {
            for (Contestant c : contestants) {
                c.close();
            }
        }
        return warnings;
    }

    /** A system that broke: its stack trace now, and a line in the summary (its remaining rows are missing). */
    private static int failed(Skips skips, String system, Workload workload, String consequence, Exception e) {
        int counted = failed(system, workload, e);
        skips.failed("transfers", workload.label(), system, consequence + ": " + e);
        return counted;
    }

    private static String at(int threads) {
        return "failed at " + threads + " threads, so no rows from " + threads + " threads up";
    }

    private static int failed(String system, Workload workload, Exception e) {
        System.out.println("WARNING: " + system + " on " + workload.label() + " failed: " + e);
        e.printStackTrace(System.out);
        return 1;
    }

    /** A system with its two databases, and what it has done within the current thread count. */
    private static final class Contestant {
        final String system;
        final BankDatabase a;
        final BankDatabase b;
        final TransferSystem ts;
        final int accounts;
        long committedSoFar;
        CellRunner.Outcome measured;
        Exception failure;

        private Contestant(String system, BankDatabase a, BankDatabase b, TransferSystem ts, int accounts) {
            this.system = system;
            this.a = a;
            this.b = b;
            this.ts = ts;
            this.accounts = accounts;
        }

        static Contestant open(String system, Workload workload, Path data, Path out, BenchConfig config,
                               int maxThreads) throws Exception {
            DatabaseNames names = config.databases();
            BankDatabase a = new BankDatabase(workload, workload.url(data, names, system, "a"), config.accounts());
            BankDatabase b;
            try {
                b = new BankDatabase(workload, workload.url(data, names, system, "b"), config.accounts());
            } catch (Exception e) {
                a.shutdown();
                throw e;
            }
            try {
                TransferSystem ts = Systems.create(system, a, b, out, workload.label(), maxThreads);
                return new Contestant(system, a, b, ts, config.accounts());
            } catch (Exception e) {
                a.shutdown();
                b.shutdown();
                throw e;
            }
        }

        /** Runs one slice; returns false (and keeps the failure) if the system broke. */
        boolean run(int threads, Duration duration, boolean measure) {
            try {
                CellRunner.Outcome o = new CellRunner().run(ts, threads, accounts, Duration.ZERO, duration);
                committedSoFar += o.committedTotal();
                if (measure) {
                    measured = measured == null ? o : measured.plus(o);
                }
                return true;
            } catch (Exception e) {
                failure = e;
                return false;
            }
        }

        int report(Workload workload, int threads, List<Result> results) {
            CellRunner.Outcome o = measured;
            measured = null;
            Result r = new Result(system, workload.label(), threads, o.tps(),
                    o.latencies().getValueAtPercentile(50) / 1000.0,
                    o.latencies().getValueAtPercentile(99) / 1000.0, o.failures(), o.cpuMicrosPerTx());
            results.add(r);
            System.out.printf(Locale.ROOT, "  %-17s %-8s %3d threads: %9.0f tps  p50 %7.3f ms  p99 %8.3f ms"
                            + "  cpu %6.0f us/tx  (%d committed so far, %d failed)%n", system, workload.label(), threads,
                    r.tps(), r.p50Millis(), r.p99Millis(), r.cpuMicrosPerTx(), committedSoFar, o.failures());
            String diagnostics = ts.diagnostics();
            if (!diagnostics.isEmpty()) {
                System.out.println("    " + diagnostics);
            }
            if (o.firstFailure() != null) {
                System.out.println("    first failure: " + o.firstFailure());
            }
            try {
                return check(a, b, committedSoFar, system, workload, threads);
            } catch (Exception e) {
                return failed(system, workload, e);
            }
        }

        void close() {
            try {
                ts.close();
            } catch (Exception e) {
                System.out.println("warning: closing " + system + ": " + e);
            } finally {
                a.shutdown();
                b.shutdown();
            }
        }
    }

    /**
     * Runs every system briefly on throw-away in-memory databases before anything is measured,
     * so the JIT has compiled H2's and the pools' hot paths for all of them alike.
     */
    private static void warmUpJvm(BenchConfig config) throws Exception {
        if (config.jvmWarmUp().isZero()) {
            return;
        }
        Path out = config.outputDirectory();
        int threads = Math.min(16, config.maxThreads());
        for (String system : config.systems()) {
            BankDatabase a = new BankDatabase(Workload.H2_MEM,
                    Workload.H2_MEM.url(out, config.databases(), system + "-jit", "a"), config.accounts());
            BankDatabase b = new BankDatabase(Workload.H2_MEM,
                    Workload.H2_MEM.url(out, config.databases(), system + "-jit", "b"), config.accounts());
            try (TransferSystem ts = Systems.create(system, a, b, out, "jit", config.maxThreads())) {
                new CellRunner().run(ts, threads, config.accounts(), Duration.ZERO, config.jvmWarmUp());
            } finally {
                a.shutdown();
                b.shutdown();
            }
        }
        System.out.println("JVM warm-up done (" + config.jvmWarmUp().toMillis() / 1000.0 + " s per system)");
    }

    /** Money conserved, every acknowledged commit present in both databases, nothing in doubt. */
    private static int check(BankDatabase a, BankDatabase b, long committed, String system, Workload workload,
                             int threads) throws Exception {
        BankDatabase.Totals ta = a.totals();
        BankDatabase.Totals tb = b.totals();
        List<String> problems = new ArrayList<>();
        long expected = a.initialTotal() + b.initialTotal();
        if (ta.balance() + tb.balance() != expected) {
            problems.add("total balance " + (ta.balance() + tb.balance()) + " != " + expected);
        }
        if (ta.ops() != committed || tb.ops() != committed) {
            problems.add("committed " + committed + " but database A holds " + ta.ops()
                    + " updates and B " + tb.ops());
        }
        // XA RECOVER lists the whole MariaDB server's branches, so both databases report the same ones.
        int inDoubt = workload == Workload.MARIADB ? Math.max(ta.inDoubt(), tb.inDoubt()) : ta.inDoubt() + tb.inDoubt();
        if (inDoubt > 0) {
            problems.add(inDoubt + " branches in doubt");
        }
        for (String p : problems) {
            System.out.println("WARNING: " + system + " " + workload.label() + " " + threads + " threads: " + p);
        }
        return problems.size();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
