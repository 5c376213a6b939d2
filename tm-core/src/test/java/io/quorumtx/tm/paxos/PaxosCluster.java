package io.quorumtx.tm.paxos;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** N members of a replicated log in one JVM over an {@link InProcessNetwork}, each with its own data directory. */
final class PaxosCluster implements AutoCloseable {
    static final byte[] SECRET = "test-secret-0123456789".getBytes(StandardCharsets.UTF_8);

    final InProcessNetwork network = new InProcessNetwork();
    final Path root;
    final List<String> ids = new ArrayList<>();
    final Map<String, ReplicatedCommitLog> logs = new LinkedHashMap<>();
    private final Duration lease;

    PaxosCluster(Path root, int size, Duration lease) {
        this.root = root;
        this.lease = lease;
        for (int i = 1; i <= size; i++) {
            ids.add("n" + i);
        }
        for (String id : ids) {
            start(id);
        }
    }

    ReplicatedLogConfig config(String id) {
        List<String> members = new ArrayList<>();
        int port = 7000;
        for (String m : ids) {
            members.add(m + "=127.0.0.1:" + port++);
        }
        return ReplicatedLogConfig.builder().nodeId(id).dataDirectory(root.resolve(id)).members(members)
                .secret(SECRET).inProcess(network).requestTimeout(Duration.ofMillis(300))
                .commitTimeout(Duration.ofSeconds(2)).lease(lease).build();
    }

    ReplicatedCommitLog start(String id) {
        ReplicatedCommitLog log = ReplicatedCommitLog.open(config(id));
        logs.put(id, log);
        return log;
    }

    ReplicatedCommitLog log(String id) {
        return logs.get(id);
    }

    /** The node's process stops: its log (and acceptor) close and it is unreachable. */
    void stop(String id) {
        ReplicatedCommitLog log = logs.remove(id);
        network.unregister(id);
        if (log != null) {
            log.close();
        }
    }

    @Override
    public void close() {
        for (String id : new ArrayList<>(logs.keySet())) {
            stop(id);
        }
    }
}
