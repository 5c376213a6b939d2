package io.quorumtx.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import com.zaxxer.hikari.HikariDataSource;

import io.quorumtx.messaging.OutboxRelay;

/**
 * The messaging benchmark (issue 17): {@code mvn -B -Pbench -DskipTests verify -pl benchmarks -am
 * -Dbench.transfers.skip=true -Dbench.handles.skip=true} (also part of the full {@code -Pbench} run).
 *
 * <p>A transfer debits an account in PostgreSQL database A, credits one in database B and records
 * its id in A, in one QuorumTX transaction (XA, local log), with one message whose payload is the
 * transfer's id. Three ways, per broker (RabbitMQ, then NATS JetStream):
 *
 * <ul>
 *   <li>{@code outbox}: {@code outbox.send} inside the transaction; an {@link OutboxRelay} in this
 *       JVM (default settings: 100 ms poll interval, batches of up to 100) publishes to the broker;</li>
 *   <li>{@code no-message}: the same transaction without a message (what the message costs);</li>
 *   <li>{@code publish-after-commit}: the unsafe way applications do it today: commit, then
 *       publish straight to the broker, waiting for its confirmation.</li>
 * </ul>
 *
 * A consumer in this JVM receives the messages; the delivery latency of a message is from the
 * moment its commit returned to the moment the consumer got it. Figures go to
 * {@code messaging.csv} ({@code broker,system,threads,tps,commit_p50_ms,commit_p99_ms,delivery_p50_ms,
 * delivery_p99_ms,delivered,committed}).
 *
 * <p>The kill test ({@code messaging-kill.csv}): a producer JVM ({@link MessagingKillChild}) is
 * SIGKILLed at random moments, {@code bench.messaging.kills} times, and restarted (recovering what
 * its predecessor left in doubt); then what database A holds as committed is compared with what the
 * consumer received: <b>lost</b> = committed, never received; <b>invented</b> = received, never
 * committed. For {@code outbox}, {@code publish-after-commit} and {@code publish-before-commit}.
 *
 * <p>Properties: {@code bench.messaging.brokers} (rabbitmq,jetstream), {@code bench.messaging.threads}
 * (1,8), {@code bench.messaging.warmup}, {@code bench.messaging.measure} (seconds),
 * {@code bench.messaging.kills} (random kills per variant; 0 skips the kill test),
 * {@code bench.databases}. A broker or PostgreSQL that is not there is skipped with a row in
 * {@code skipped.csv} saying how to start it.
 */
public final class MessagingBenchmark {
    static final List<String> SYSTEMS = List.of("outbox", "no-message", "publish-after-commit");
    static final List<String> KILL_VARIANTS = List.of("outbox", "publish-after-commit", "publish-before-commit");
    private static final int ACCOUNTS = 10_000;
    private static final Duration DRAIN = Duration.ofSeconds(60);

    private MessagingBenchmark() {
    }

    record Row(String broker, String system, int threads, double tps, double commitP50, double commitP99,
               double deliveryP50, double deliveryP99, long delivered, long committed) {
    }

    record KillRow(String broker, String variant, int kills, int committed, int received, int lost, int invented) {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "target/bench");
        Files.createDirectories(out);
        List<MessageBroker> brokers = Arrays.stream(System.getProperty("bench.messaging.brokers", "rabbitmq,jetstream")
                .split(",")).map(String::trim).map(MessageBroker::byName).toList();
        List<Integer> threads = Arrays.stream(System.getProperty("bench.messaging.threads", "1,8").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        Duration warmUp = seconds("bench.messaging.warmup", 2);
        Duration measure = seconds("bench.messaging.measure", 5);
        int kills = Integer.getInteger("bench.messaging.kills", 15);
        DatabaseNames names = DatabaseNames.parse(System.getProperty(DatabaseNames.PROPERTY, "quorumtx_a,quorumtx_b"));
        System.out.printf(Locale.ROOT, "Messaging benchmark: brokers=%s threads=%s warm-up=%.1fs measure=%.1fs"
                        + " kills=%d databases=%s cpus=%d%n", brokers.stream().map(MessageBroker::label).toList(),
                threads, warmUp.toMillis() / 1000.0, measure.toMillis() / 1000.0, kills, names.both(),
                Runtime.getRuntime().availableProcessors());
        Skips skips = new Skips();
        List<Row> rows = new ArrayList<>();
        List<KillRow> killRows = new ArrayList<>();
        ServerSetup servers = new ServerSetup(names);
        int maxThreads = threads.stream().mapToInt(Integer::intValue).max().orElse(1);
        ServerProbe.Probe probe = ServerProbe.probe(Workload.POSTGRES, servers, maxThreads + 2);
        if (probe.problem() != null) {
            skips.skipped("messaging", "postgres", "all brokers and systems", probe.problem());
        } else {
            for (MessageBroker broker : brokers) {
                var problem = broker.unavailable();
                if (problem.isPresent()) {
                    skips.skipped("messaging", broker.label(), "all systems and the kill test", problem.get());
                    continue;
                }
                for (int t : threads) {
                    for (String system : SYSTEMS) {
                        try {
                            rows.add(cell(broker, system, t, warmUp, measure, names, out));
                        } catch (Exception e) {
                            e.printStackTrace(System.out);
                            skips.failed("messaging", broker.label(), system + " at " + t + " threads", e.toString());
                        }
                    }
                }
                if (kills > 0) {
                    for (String variant : KILL_VARIANTS) {
                        try {
                            killRows.add(killTest(broker, variant, kills, names, out));
                        } catch (Exception e) {
                            e.printStackTrace(System.out);
                            skips.failed("messaging-kill", broker.label(), variant, e.toString());
                        }
                    }
                }
            }
        }
        writeCsv(out, rows, killRows);
        printTables(rows, killRows);
        System.out.println();
        skips.summary().forEach(System.out::println);
        skips.writeCsv(out.resolve("messaging-skipped.csv"));
        System.exit(0);
    }

    private static Duration seconds(String property, double defaultSeconds) {
        double s = Double.parseDouble(System.getProperty(property, String.valueOf(defaultSeconds)));
        return Duration.ofMillis(Math.round(s * 1000));
    }

    /**
     * Pairs each message's commit with its arrival, whichever is known first (a relay can publish,
     * and the consumer receive, before the committing thread has noted its commit).
     */
    static final class DeliveryClock {
        private final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
        private final Set<String> counted = ConcurrentHashMap.newKeySet();
        private final Recorder delivery = new Recorder(3);
        private final AtomicLong delivered = new AtomicLong();
        volatile boolean measuring;

        /** {@code positive}: a commit time; the arrival is stored negated so the two cannot be confused. */
        void committed(String id, long nanos) {
            pair(id, nanos, true);
        }

        void received(String id) {
            long now = System.nanoTime();
            if (!counted.add(id)) {
                return; // a duplicate: the first arrival counts
            }
            delivered.incrementAndGet();
            pair(id, now, false);
        }

        private void pair(String id, long nanos, boolean commit) {
            long[] other = {0};
            boolean[] paired = {false};
            firstSeen.compute(id, (k, v) -> {
                if (v == null) {
                    return commit ? nanos : -nanos - 1;
                }
                other[0] = v;
                paired[0] = true;
                return null;
            });
            if (paired[0] && measuring) {
                long commitAt = commit ? nanos : other[0];
                long arrivedAt = commit ? -other[0] - 1 : nanos;
                delivery.recordValue(Math.max(1, (arrivedAt - commitAt) / 1000)); // microseconds
            }
        }

        long delivered() {
            return delivered.get();
        }

        Histogram interval() {
            return delivery.getIntervalHistogram();
        }
    }

    private static Row cell(MessageBroker broker, String system, int threads, Duration warmUp, Duration measure,
            DatabaseNames names, Path out) throws Exception {
        String name = "msgbench-" + UUID.randomUUID().toString().substring(0, 8);
        MessagingBank.create(names, ACCOUNTS);
        DeliveryClock clock = new DeliveryClock();
        Path log = out.resolve("quorumtx").resolve("messaging-" + name);
        Recorder commitLatency = new Recorder(3);
        AtomicLong committedInWindow = new AtomicLong();
        AtomicLong committedTotal = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        MessageBroker.Receiver receiver = broker.receiver(name, clock::received);
        try (MessagingBank bank = new MessagingBank(names, "msgbench", log, threads + 2);
                HikariDataSource relayPool = MessagingBank.relayPool(names)) {
            bank.createOutboxTables();
            OutboxRelay relay = system.equals("outbox")
                    ? OutboxRelay.builder(relayPool, broker.relayPublisher()).table(MessagingBank.OUTBOX).build()
                    : null;
            if (relay != null) {
                relay.start();
            }
            String destination = broker.destination(name);
            try {
                for (int t = 0; t < threads; t++) {
                    int worker = t;
                    Thread th = new Thread(() -> {
                        try (MessageBroker.DirectPublisher direct = system.equals("publish-after-commit")
                                ? broker.directPublisher(name) : null) {
                            ThreadLocalRandom random = ThreadLocalRandom.current();
                            for (long n = 0; !stop.get(); n++) {
                                String id = worker + "-" + n;
                                byte[] payload = id.getBytes(StandardCharsets.UTF_8);
                                int from = 1 + random.nextInt(ACCOUNTS);
                                int to = 1 + random.nextInt(ACCOUNTS);
                                boolean measuring = clock.measuring;
                                long start = System.nanoTime();
                                switch (system) {
                                    case "outbox" -> bank.transfer(id, from, to,
                                            () -> bank.outbox.send(destination, "acct-" + from, payload, Map.of()));
                                    case "no-message", "publish-after-commit" -> bank.transfer(id, from, to, () -> { });
                                    default -> throw new IllegalArgumentException(system);
                                }
                                long committedAt = System.nanoTime();
                                if (direct != null) {
                                    direct.publish(id, payload);
                                }
                                committedTotal.incrementAndGet();
                                if (!system.equals("no-message")) {
                                    clock.committed(id, committedAt);
                                }
                                if (measuring && clock.measuring) {
                                    commitLatency.recordValue(Math.max(1, (committedAt - start) / 1000));
                                    committedInWindow.incrementAndGet();
                                }
                            }
                        } catch (Exception | Error e) {
                            failures.add(e);
                        }
                    }, "msgbench-" + t);
                    workers.add(th);
                    th.start();
                }
                TimeUnit.MILLISECONDS.sleep(warmUp.toMillis()); // the warm-up window: a duration, not a wait for a condition
                commitLatency.reset();
                clock.interval();
                clock.measuring = true;
                long begin = System.nanoTime();
                TimeUnit.MILLISECONDS.sleep(measure.toMillis());
                clock.measuring = false;
                double seconds = (System.nanoTime() - begin) / 1e9;
                stop.set(true);
                for (Thread th : workers) {
                    th.join(60_000);
                }
                if (!failures.isEmpty()) {
                    throw new IllegalStateException(system + " failed: " + failures.get(0), failures.get(0));
                }
                Histogram commits = commitLatency.getIntervalHistogram();
                long committed = committedTotal.get();
                if (!system.equals("no-message")) {
                    long deadline = System.nanoTime() + DRAIN.toNanos();
                    while (clock.delivered() < committed && System.nanoTime() < deadline) {
                        TimeUnit.MILLISECONDS.sleep(20);
                    }
                }
                Histogram deliveries = clock.interval();
                Row row = new Row(broker.label(), system, threads, committedInWindow.get() / seconds,
                        commits.getValueAtPercentile(50) / 1000.0, commits.getValueAtPercentile(99) / 1000.0,
                        system.equals("no-message") ? Double.NaN : deliveries.getValueAtPercentile(50) / 1000.0,
                        system.equals("no-message") ? Double.NaN : deliveries.getValueAtPercentile(99) / 1000.0,
                        clock.delivered(), committed);
                System.out.printf(Locale.ROOT, "  %-9s %-21s %2d threads: %7.1f tps  commit p50 %6.2f p99 %7.2f ms"
                                + "  delivery p50 %7.2f p99 %7.2f ms  (%d of %d delivered)%n", row.broker(),
                        row.system(), threads, row.tps(), row.commitP50(), row.commitP99(), row.deliveryP50(),
                        row.deliveryP99(), row.delivered(), row.committed());
                return row;
            } finally {
                stop.set(true);
                if (relay != null) {
                    relay.close();
                }
            }
        } finally {
            receiver.close();
            MessagingBank.drop(names);
        }
    }

    /**
     * Kills a producer JVM {@code kills} times at random moments (between 0.3 and 1.5 s after it
     * began producing), then counts what the consumer got against what database A committed.
     */
    private static KillRow killTest(MessageBroker broker, String variant, int kills, DatabaseNames names, Path out)
            throws Exception {
        String name = "msgkill-" + UUID.randomUUID().toString().substring(0, 8);
        Path log = out.resolve("quorumtx").resolve("kill-" + name);
        MessagingBank.create(names, ACCOUNTS);
        Set<String> received = ConcurrentHashMap.newKeySet();
        String sentinel = "sentinel-" + name;
        Random random = new Random();
        String mode = switch (variant) {
            case "outbox" -> "outbox";
            case "publish-after-commit" -> "after-commit";
            case "publish-before-commit" -> "before-commit";
            default -> throw new IllegalArgumentException(variant);
        };
        MessageBroker.Receiver receiver = broker.receiver(name, received::add);
        try (HikariDataSource relayPool = MessagingBank.relayPool(names)) {
            // The outbox's tables, and (for the outbox) its relay, which outlives every producer.
            try (MessagingBank setup = new MessagingBank(names, "msgkill", log, 2)) {
                setup.createOutboxTables();
            }
            OutboxRelay relay = variant.equals("outbox")
                    ? OutboxRelay.builder(relayPool, broker.relayPublisher()).table(MessagingBank.OUTBOX).build()
                    : null;
            if (relay != null) {
                relay.start();
            }
            try {
                for (int round = 1; round <= kills; round++) {
                    Process p = startChild(mode, broker, name, log, round, names, out);
                    awaitLine(p, "READY");
                    TimeUnit.MILLISECONDS.sleep(300 + random.nextInt(1200)); // the random moment of the kill
                    p.destroyForcibly();
                    if (!p.waitFor(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("a producer survived SIGKILL for 30 s");
                    }
                }
                // Recovery of what the last producer left in doubt.
                Process last = startChild("recover", broker, name, log, kills + 1, names, out);
                awaitLine(last, "DONE");
                if (!last.waitFor(60, TimeUnit.SECONDS)) {
                    last.destroyForcibly(); // it printed DONE: recovery is over, whatever keeps it alive
                }
                if (relay != null) {
                    long deadline = System.nanoTime() + DRAIN.toNanos();
                    while (MessagingBank.outboxRows(names) > 0 && System.nanoTime() < deadline) {
                        TimeUnit.MILLISECONDS.sleep(50);
                    }
                }
            } finally {
                if (relay != null) {
                    relay.close();
                }
            }
            // A last message after everything the producers and the relay published: once it is in,
            // so is everything before it (one queue or stream, publications confirmed in order).
            try (MessageBroker.DirectPublisher direct = broker.directPublisher(name)) {
                direct.publish(sentinel, sentinel.getBytes(StandardCharsets.UTF_8));
            }
            long deadline = System.nanoTime() + DRAIN.toNanos();
            while (!received.contains(sentinel) && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
            if (!received.contains(sentinel)) {
                throw new IllegalStateException("the consumer did not receive the end marker within " + DRAIN);
            }
        } finally {
            receiver.close();
        }
        received.remove(sentinel);
        Set<String> committed = MessagingBank.committedTransfers(names);
        MessagingBank.drop(names);
        int lost = (int) committed.stream().filter(id -> !received.contains(id)).count();
        int invented = (int) received.stream().filter(id -> !committed.contains(id)).count();
        KillRow row = new KillRow(broker.label(), variant, kills, committed.size(), received.size(), lost, invented);
        System.out.printf(Locale.ROOT, "  kill %-9s %-21s %d kills: %d committed, %d received, %d lost, %d invented%n",
                row.broker(), row.variant(), kills, row.committed(), row.received(), lost, invented);
        return row;
    }

    private static Process startChild(String mode, MessageBroker broker, String name, Path log, int round,
            DatabaseNames names, Path out) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                MessagingKillChild.class.getName(), "mode=" + mode, "broker=" + broker.label(), "name=" + name,
                "node=msgkill", "log=" + log.toAbsolutePath(), "round=" + round,
                "databases=" + String.join(",", names.both()), "accounts=" + ACCOUNTS);
        return new ProcessBuilder(command).redirectError(out.resolve("messaging-kill-child.err").toFile()).start();
    }

    /** Reads the child's output until {@code expected} (60 s at most); fails with what it printed otherwise. */
    private static void awaitLine(Process p, String expected) throws Exception {
        java.io.BufferedReader in = new java.io.BufferedReader(
                new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        java.util.concurrent.CompletableFuture<Boolean> seen = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.equals(expected)) {
                        return true;
                    }
                }
                return false;
            } catch (IOException e) {
                return false;
            }
        });
        Boolean ok;
        try {
            ok = seen.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            ok = false;
        }
        if (!ok) {
            p.destroyForcibly();
            throw new IllegalStateException("the producer JVM did not print " + expected
                    + " within 60 s (its stderr: target/bench/messaging-kill-child.err)");
        }
    }

    private static void writeCsv(Path out, List<Row> rows, List<KillRow> killRows) throws IOException {
        StringBuilder csv = new StringBuilder(
                "broker,system,threads,tps,commit_p50_ms,commit_p99_ms,delivery_p50_ms,delivery_p99_ms,delivered,committed\n");
        for (Row r : rows) {
            csv.append(String.format(Locale.ROOT, "%s,%s,%d,%.1f,%.2f,%.2f,%s,%s,%d,%d%n", r.broker(), r.system(),
                    r.threads(), r.tps(), r.commitP50(), r.commitP99(), num(r.deliveryP50()), num(r.deliveryP99()),
                    r.delivered(), r.committed()));
        }
        Files.writeString(out.resolve("messaging.csv"), csv);
        StringBuilder kill = new StringBuilder("broker,variant,kills,committed,received,lost,invented\n");
        for (KillRow k : killRows) {
            kill.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%d,%d%n", k.broker(), k.variant(), k.kills(),
                    k.committed(), k.received(), k.lost(), k.invented()));
        }
        Files.writeString(out.resolve("messaging-kill.csv"), kill);
        System.out.println("Wrote " + out.resolve("messaging.csv").toAbsolutePath() + " and messaging-kill.csv");
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static void printTables(List<Row> rows, List<KillRow> killRows) {
        System.out.println();
        System.out.println("| broker | system | threads | tps | commit p50 / p99 ms | delivery p50 / p99 ms |");
        System.out.println("|---|---|---:|---:|---:|---:|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %.0f | %.1f / %.1f | %s |%n", r.broker(), r.system(),
                    r.threads(), r.tps(), r.commitP50(), r.commitP99(), Double.isNaN(r.deliveryP50()) ? "—"
                            : String.format(Locale.ROOT, "%.1f / %.1f", r.deliveryP50(), r.deliveryP99()));
        }
        System.out.println();
        System.out.println("| broker | producer | kills | committed | received | lost | invented |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|");
        for (KillRow k : killRows) {
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %d | %d | %d | %d |%n", k.broker(), k.variant(),
                    k.kills(), k.committed(), k.received(), k.lost(), k.invented());
        }
        System.out.println(killRows.stream().map(KillRow::broker).distinct().collect(Collectors.joining(", ",
                "(kill test brokers: ", ")")));
    }
}
