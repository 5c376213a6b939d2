package io.quorumtx.tm.paxos;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** N members of a replicated log in one JVM over an {@link InProcessCluster}, each with its own data directory. */
final class PaxosCluster implements AutoCloseable {
    static final byte[] SECRET = "test-secret-0123456789".getBytes(StandardCharsets.UTF_8);

    final InProcessCluster network = new InProcessCluster();
    final Path root;
    final List<String> ids = new ArrayList<>();
    final Map<String, ReplicatedCommitLog> logs = new LinkedHashMap<>();
    private final Duration lease;
    private final java.util.function.UnaryOperator<ReplicatedLogConfig.Builder> tweak;

    PaxosCluster(Path root, int size, Duration lease) {
        this(root, size, lease, b -> b);
    }

    /** As {@link #PaxosCluster(Path, int, Duration)}, with {@code tweak} applied to every member's configuration. */
    PaxosCluster(Path root, int size, Duration lease, java.util.function.UnaryOperator<ReplicatedLogConfig.Builder> tweak) {
        this.root = root;
        this.lease = lease;
        this.tweak = tweak;
        for (int i = 1; i <= size; i++) {
            ids.add("n" + i);
        }
        for (String id : ids) {
            start(id, StartMode.BOOTSTRAP);
        }
    }

    ReplicatedLogConfig config(String id) {
        return config(id, StartMode.RESTART);
    }

    ReplicatedLogConfig config(String id, StartMode mode) {
        List<String> members = new ArrayList<>();
        int port = 7000;
        for (String m : ids) {
            members.add(m + "=127.0.0.1:" + port++);
        }
        return tweak.apply(ReplicatedLogConfig.builder().nodeId(id).dataDirectory(root.resolve(id)).members(members)
                .secret(SECRET).inProcess(network).requestTimeout(Duration.ofMillis(300))
                .commitTimeout(Duration.ofSeconds(2)).lease(lease)).startMode(mode).build();
    }

    /** Restarts a stopped member on its directory (an ordinary restart). */
    ReplicatedCommitLog start(String id) {
        return start(id, StartMode.RESTART);
    }

    ReplicatedCommitLog start(String id, StartMode mode) {
        ReplicatedCommitLog log = ReplicatedCommitLog.open(config(id, mode));
        logs.put(id, log);
        return log;
    }

    ReplicatedCommitLog log(String id) {
        return logs.get(id);
    }

    /** The node's process stops: its log (and acceptor) close and it is unreachable. */
    void stop(String id) {
        ReplicatedCommitLog log = logs.remove(id);
        network.disconnect(id);
        if (log != null) {
            log.close();
        }
    }

    /** Deletes a member's data directory (its disk was lost); stop the member first. */
    static void deleteRecursively(Path path) throws java.io.IOException {
        if (!java.nio.file.Files.exists(path)) {
            return;
        }
        try (java.util.stream.Stream<Path> all = java.nio.file.Files.walk(path)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(p);
            }
        }
    }

    @Override
    public void close() {
        for (String id : new ArrayList<>(logs.keySet())) {
            stop(id);
        }
    }
}
