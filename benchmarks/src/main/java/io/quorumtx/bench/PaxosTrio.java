package io.quorumtx.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.quorumtx.tm.paxos.ReplicatedCommitLog;
import io.quorumtx.tm.paxos.ReplicatedLogConfig;

/**
 * The three acceptors of {@code quorumtx-paxos3}, in three processes on loopback: this JVM is
 * member n1 (its transaction manager proposes), and two child JVMs run members n2 and n3
 * ({@link PaxosAcceptorNode}), each with its own data directory and fsync. Closing stops the
 * children (their standard input closes).
 */
final class PaxosTrio implements AutoCloseable {
    static final String SECRET = "quorumtx-bench-paxos3-secret";
    static final String SECRET_VARIABLE = "QUORUMTX_BENCH_SECRET";

    private final List<String> members = new ArrayList<>();
    private final List<Process> children = new ArrayList<>();
    private final Path directory;
    private ReplicatedCommitLog ownLog;
    private ReplicatedCommitLog.AcceptorCounters last;

    PaxosTrio(Path directory) throws IOException, InterruptedException {
        this.directory = directory;
        for (int i = 1; i <= 3; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                members.add("n" + i + "=127.0.0.1:" + s.getLocalPort());
            }
        }
        for (int i = 2; i <= 3; i++) {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Xmx256m", "-XX:+UseParallelGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-cp", System.getProperty("java.class.path"), PaxosAcceptorNode.class.getName(), "n" + i,
                    directory.resolve("n" + i).toAbsolutePath().toString(), String.join(",", members)));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(directory.resolve("n" + i + ".out").toFile());
            java.nio.file.Files.createDirectories(directory);
            builder.environment().put(SECRET_VARIABLE, SECRET);
            Process p = builder.start();
            children.add(p);
        }
        for (int i = 0; i < children.size(); i++) {
            Path out = directory.resolve("n" + (i + 2) + ".out");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!java.nio.file.Files.readString(out).contains("READY")) {
                if (System.nanoTime() > deadline || !children.get(i).isAlive()) {
                    throw new IOException("acceptor n" + (i + 2) + " did not start:\n" + java.nio.file.Files.readString(out));
                }
                Thread.sleep(20); // polling the child's output for its READY line, with a deadline
            }
        }
    }

    /** Member n1's configuration, for this JVM's transaction manager. */
    ReplicatedLogConfig ownConfig() {
        return config("n1", directory.resolve("n1"), members);
    }

    /** A member of a new cluster (every benchmark run gets fresh directories): it bootstraps. */
    static ReplicatedLogConfig config(String node, Path data, List<String> members) {
        return ReplicatedLogConfig.builder().nodeId(node).dataDirectory(data).members(members)
                .secret(SECRET.getBytes(StandardCharsets.UTF_8))
                .startMode(io.quorumtx.tm.paxos.StartMode.BOOTSTRAP).build();
    }

    /** Reports the batching of {@code log}'s own acceptor (n1's) from now on. */
    void ownLog(ReplicatedCommitLog log) {
        this.ownLog = log;
        last = log.acceptorCounters();
    }

    /** Records per force of n1's acceptor since the last call: how well Paxos batching works. */
    String sinceLastCall() {
        if (ownLog == null) {
            return "";
        }
        ReplicatedCommitLog.AcceptorCounters now = ownLog.acceptorCounters();
        long forces = now.forces() - last.forces();
        long records = now.recordsWritten() - last.recordsWritten();
        last = now;
        return String.format(Locale.ROOT, "n1 acceptor: %d records in %d forces (%.1f per force)", records, forces,
                forces == 0 ? 0.0 : (double) records / forces);
    }

    @Override
    public void close() {
        for (Process p : children) {
            try {
                p.getOutputStream().close();
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (IOException | InterruptedException e) {
                p.destroyForcibly();
            }
        }
    }
}
