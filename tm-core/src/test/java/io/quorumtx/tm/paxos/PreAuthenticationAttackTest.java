package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.xid.QuorumXid;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 item 1: a three-member cluster over loopback commits while a client without the
 * secret opens hundreds of connections to every member and sends huge length prefixes, partial
 * handshakes (slowloris) or nothing. The members keep committing and the heap stays flat.
 *
 * <p>Also the measurement the README quotes: commit throughput and p99 latency without and with
 * the attack, and the used heap after GC before, during and after it. Each phase lasts
 * {@code -Dquorumtx.attack.seconds} (default 2):
 * {@code mvn -B -q -pl tm-core test -Dtest=PreAuthenticationAttackTest -Dquorumtx.attack.seconds=20}.
 */
class PreAuthenticationAttackTest {
    private static final Duration PHASE = Duration.ofSeconds(Long.getLong("quorumtx.attack.seconds", 2));
    private static final int COMMITTERS = 4;
    private static final int ATTACK_THREADS_PER_MEMBER = 2;
    private static final int HELD_PER_THREAD = 60;

    @TempDir
    Path dir;

    private final List<String> members = new ArrayList<>();
    private final Map<String, ReplicatedCommitLog> logs = new LinkedHashMap<>();
    private final AtomicInteger seq = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        for (int i = 1; i <= 3; i++) {
            members.add("n" + i + "=127.0.0.1:" + TcpTransportTest.freePort());
        }
        for (int i = 1; i <= 3; i++) {
            logs.put("n" + i, ReplicatedCommitLog.open(ReplicatedLogConfig.builder().nodeId("n" + i)
                    .dataDirectory(dir.resolve("n" + i)).members(members).secret(PaxosCluster.SECRET)
                    .requestTimeout(Duration.ofSeconds(1)).commitTimeout(Duration.ofSeconds(5)).startMode(StartMode.BOOTSTRAP).build()));
        }
    }

    @AfterEach
    void stop() {
        logs.values().forEach(ReplicatedCommitLog::close);
    }

    private record Phase(int commits, int failures, double perSecond, double p99Millis) {
    }

    /** {@link #COMMITTERS} threads committing on n1 for {@link #PHASE}. */
    private Phase commitFor(Duration length) throws InterruptedException {
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failures = new AtomicInteger();
        long end = System.nanoTime() + length.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < COMMITTERS; t++) {
            Thread thread = new Thread(() -> {
                while (System.nanoTime() < end) {
                    String g = QuorumXid.formatGtrid("n1", "e1", seq.incrementAndGet(), System.currentTimeMillis());
                    long began = System.nanoTime();
                    try {
                        logs.get("n1").logCommit(new CommitRecord(g, List.of(new BranchRecord("a", "a")), 1));
                        latencies.add(System.nanoTime() - began);
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        double p99 = sorted.isEmpty() ? Double.NaN : sorted.get((int) Math.floor(0.99 * (sorted.size() - 1))) / 1e6;
        return new Phase(sorted.size(), failures.get(), sorted.size() / (length.toMillis() / 1000.0), p99);
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc(); // measuring retained memory is the point
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Connects again and again to {@code target} and holds up to {@link #HELD_PER_THREAD} hostile connections. */
    private static Thread attacker(InetSocketAddress target, int style, AtomicLong opened, long end) {
        Thread t = new Thread(() -> {
            Deque<Socket> held = new ArrayDeque<>();
            while (System.nanoTime() < end) {
                try {
                    Socket s = new Socket(target.getHostString(), target.getPort());
                    OutputStream out = s.getOutputStream();
                    switch (style % 3) {
                        case 0 -> { // a 16 MiB length prefix and a 32-byte "tag": the old server allocated 16 MiB
                            byte[] b = new byte[36];
                            java.nio.ByteBuffer.wrap(b).putInt(32 + PaxosWire.MAX_ENVELOPE_BYTES);
                            out.write(b);
                        }
                        case 1 -> out.write(new byte[] {0}); // slowloris: half a length, then silence
                        default -> { } // connect and say nothing
                    }
                    out.flush();
                    opened.incrementAndGet();
                    held.addLast(s);
                    if (held.size() > HELD_PER_THREAD) {
                        TcpTransport.closeQuietly(held.pollFirst());
                    }
                } catch (IOException e) {
                    // refused or reset: try again
                }
                LockSupport.parkNanos(2_000_000); // ~500 connections per second per thread
            }
            held.forEach(TcpTransport::closeQuietly);
        }, "attacker-" + target.getPort() + "-" + style);
        t.setDaemon(true);
        return t;
    }

    @Test
    void membersKeepCommittingAndTheHeapStaysFlatWhileStrangersFloodEveryPort() throws Exception {
        commitFor(Duration.ofMillis(500)); // warm-up: connections open, code compiled
        long heapBefore = usedHeapAfterGc();
        Phase quiet = commitFor(PHASE);

        AtomicLong opened = new AtomicLong();
        long end = System.nanoTime() + PHASE.plusSeconds(2).toNanos();
        List<Thread> attackers = new ArrayList<>();
        for (InetSocketAddress target : ClusterConfig.parseMembers(members).values()) {
            for (int i = 0; i < ATTACK_THREADS_PER_MEMBER * 3; i++) {
                attackers.add(attacker(target, i, opened, end));
            }
        }
        attackers.forEach(Thread::start);
        Phase attacked = commitFor(PHASE);
        long heapDuring = usedHeapAfterGc();
        long connectionsDuring = opened.get();
        for (Thread t : attackers) {
            t.join();
        }
        long heapAfter = usedHeapAfterGc();
        Phase after = commitFor(Duration.ofMillis(500));

        System.out.printf("ATTACK-BENCH phase=%s quiet: %d commits, %.0f/s, p99 %.1f ms | under attack (%d hostile"
                        + " connections): %d commits, %d failed, %.0f/s, p99 %.1f ms | heap after GC MiB before %.1f"
                        + " during %.1f after %.1f%n", PHASE, quiet.commits(), quiet.perSecond(), quiet.p99Millis(),
                connectionsDuring, attacked.commits(), attacked.failures(), attacked.perSecond(), attacked.p99Millis(),
                heapBefore / 1048576.0, heapDuring / 1048576.0, heapAfter / 1048576.0);
        assertThat(connectionsDuring).as("hostile connections opened during the attack").isGreaterThan(200);
        assertThat(attacked.failures()).as("commits that failed under attack").isZero();
        assertThat(attacked.commits()).as("commits under attack").isGreaterThan(10);
        assertThat(after.failures()).as("commits that failed after the attack").isZero();
        assertThat(heapDuring - heapBefore).as("heap growth (bytes) under attack").isLessThan(48L << 20);
        for (ReplicatedCommitLog log : logs.values()) {
            TransportServer server = ((TcpTransport) transportOf(log)).server();
            assertThat(server.pendingConnections()).as("pending handshakes").isLessThanOrEqualTo(TransportServer.MAX_PENDING);
        }
    }

    private static PaxosTransport transportOf(ReplicatedCommitLog log) {
        return log.transport();
    }
}
