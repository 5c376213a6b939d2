package io.quorumtx.it.realdb;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.quorumtx.it.support.ChildArgs;
import io.quorumtx.it.support.WrappingStyle;
import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.paxos.ReplicatedLogConfig;
import io.quorumtx.tm.paxos.StartMode;

/**
 * One node of a three-node QuorumTX cluster in its own JVM: a transaction manager with the
 * Paxos-replicated commit log over TCP (its acceptor in {@code data}), the banks of a
 * {@link Topology} registered for recovery, and, in mode {@code transfer}, a thread moving money
 * until the parent writes {@code STOP} on its standard input (or a crash injector halts it).
 * Lines, flushed before it can die: {@code READY}; {@code TX <n> <gtrid>}; {@code OK <n> .};
 * {@code FAIL <n> <error>}; {@code CRASH <point> <gtrid>}; {@code STOPPED}.
 *
 * <p>Arguments {@code key=value}: topology, node, members (comma-separated {@code id=host:port}),
 * data, tables, accounts, mode ({@code transfer} or {@code idle}), lease (ms), commitTimeout (ms),
 * start (the acceptor's {@link StartMode}: BOOTSTRAP on a new cluster's first start, RESTART after,
 * REJOIN after its directory was wiped; default RESTART), optionally point and hit, and
 * journal=true (every transfer also writes its gtrid to each bank's journal: the fault campaign's
 * ground truth). The shared secret comes from {@code QUORUMTX_TEST_CLUSTER_SECRET}.
 */
public final class PaxosNodeChild {
    static final int CRASH_EXIT = RealDbCrashChild.CRASH_EXIT;
    public static final String SECRET_VARIABLE = "QUORUMTX_TEST_CLUSTER_SECRET";

    private static volatile boolean stop;

    private PaxosNodeChild() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = ChildArgs.parse(args);
        Topology topology = Topology.valueOf(a.get("topology"));
        String node = a.get("node");
        int accounts = Integer.parseInt(a.get("accounts"));
        List<String> tables = Arrays.asList(a.get("tables").split(","));
        ReplicatedLogConfig config = ReplicatedLogConfig.builder().nodeId(node)
                .dataDirectory(Path.of(a.get("data"))).members(Arrays.asList(a.get("members").split(",")))
                .secret(System.getenv(SECRET_VARIABLE).getBytes(StandardCharsets.UTF_8))
                .lease(Duration.ofMillis(Long.parseLong(a.get("lease"))))
                .requestTimeout(Duration.ofMillis(500))
                .commitTimeout(Duration.ofMillis(Long.parseLong(a.get("commitTimeout"))))
                .startMode(StartMode.valueOf(a.getOrDefault("start", StartMode.RESTART.name())))
                .build();
        CrashInjector injector = a.containsKey("point")
                ? RealDbCrashChild.injector(CrashPoint.valueOf(a.get("point")), Integer.parseInt(a.get("hit"))) : null;

        List<Bank> banks = topology.open(Path.of(a.get("data")), accounts, tables);
        try (RealDbCluster c = RealDbCluster.attach(banks, node, null, WrappingStyle.DIALECT, 4, b -> {
            b.replicatedLog(config).recoveryInterval(Duration.ofSeconds(1))
                    .defaultProtocol(io.quorumtx.tm.CommitProtocolType.valueOf(a.getOrDefault("protocol", "TWO_PHASE")));
            return injector == null ? b : b.crashInjector(injector);
        })) {
            Thread stdin = new Thread(PaxosNodeChild::readStop, "stdin");
            stdin.setDaemon(true);
            stdin.start();
            RealDbCrashChild.emit("READY");
            if (a.get("mode").equals("transfer")) {
                boolean journaled = Boolean.parseBoolean(a.get("journal"));
                for (int n = 1; !stop; n++) {
                    if (journaled) {
                        RealDbCrashChild.journaledTransfer(c, n);
                    } else {
                        RealDbCrashChild.transfer(c, n);
                    }
                    Thread.sleep(10); // pacing of the workload (not a wait): leaves the CPU to the other nodes
                }
                RealDbCrashChild.emit("STOPPED");
            }
            Thread.currentThread().join(); // recovery and the acceptor run in the background until the parent kills us
        }
    }

    private static void readStop() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.equals("STOP")) {
                    stop = true;
                }
            }
        } catch (java.io.IOException e) {
            stop = true;
        }
    }

}
