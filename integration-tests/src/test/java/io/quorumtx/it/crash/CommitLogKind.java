package io.quorumtx.it.crash;

import io.quorumtx.tm.QuorumTransactionManagerBuilder;
import io.quorumtx.tm.log.LogInspection;
import io.quorumtx.tm.paxos.ClusterAccess;
import io.quorumtx.tm.paxos.InProcessCluster;
import io.quorumtx.tm.paxos.ReplicatedLogConfig;
import io.quorumtx.tm.paxos.StartMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which commit log a crash test's bank JVMs use: the local log in {@code txlog}, or the
 * Paxos-replicated log of three members whose acceptors all live in the bank JVM (in-process,
 * each with its own directory under {@code paxos/}). The replicated one dies with the JVM as a
 * whole cluster does and restarts from its acceptors' files: the crash tests' scenarios then run
 * against what the replicated log keeps durable (decisions, tombstones, finished branches).
 */
enum CommitLogKind {
    LOCAL {
        @Override
        AutoCloseable configure(QuorumTransactionManagerBuilder builder, Path dir) {
            builder.logDirectory(BankFiles.logDirectory(dir));
            return () -> { };
        }
    },
    REPLICATED {
        @Override
        AutoCloseable configure(QuorumTransactionManagerBuilder builder, Path dir) {
            InProcessCluster cluster = new InProcessCluster();
            // The bank JVM's first start bootstraps the cluster; every later one restarts on its files.
            boolean first = !Files.isDirectory(acceptorDirectory(dir, BankFiles.NODE_ID));
            StartMode mode = first ? StartMode.BOOTSTRAP : StartMode.RESTART;
            try {
                for (String peer : PEERS) {
                    cluster.startAcceptor(config(cluster, dir, peer, mode));
                }
            } catch (RuntimeException e) {
                cluster.close();
                throw e;
            }
            builder.replicatedLog(config(cluster, dir, BankFiles.NODE_ID, mode));
            return cluster;
        }
    };

    /** The two members besides the bank JVM's own node; they only accept (they coordinate nothing). */
    static final List<String> PEERS = List.of("peer-1", "peer-2");
    private static final Set<String> MEMBER_IDS = Set.of(BankFiles.NODE_ID, PEERS.get(0), PEERS.get(1));
    private static final byte[] SECRET = "crash-test-cluster-secret".getBytes(StandardCharsets.UTF_8);
    /** Longer than any crash test: a finished transaction's tombstone must answer in every later round. */
    private static final Duration TOMBSTONE_RETENTION = Duration.ofHours(1);

    /**
     * Makes {@code builder} use this log in {@code dir}; returns what must be closed after the
     * manager (the in-process peers' acceptors).
     */
    abstract AutoCloseable configure(QuorumTransactionManagerBuilder builder, Path dir);

    private static ReplicatedLogConfig config(InProcessCluster cluster, Path dir, String member, StartMode mode) {
        return ReplicatedLogConfig.builder().nodeId(member).dataDirectory(acceptorDirectory(dir, member))
                .members(members()).secret(SECRET).inProcess(cluster).tombstoneRetention(TOMBSTONE_RETENTION)
                .startMode(mode).build();
    }

    private static List<String> members() {
        List<String> members = new ArrayList<>();
        members.add(BankFiles.NODE_ID + "=127.0.0.1:1");
        for (int i = 0; i < PEERS.size(); i++) {
            members.add(PEERS.get(i) + "=127.0.0.1:" + (i + 2)); // never dialled: the network is in-process
        }
        return members;
    }

    private static Path acceptorDirectory(Path dir, String member) {
        return dir.resolve("paxos").resolve(member);
    }

    /**
     * The commits still unfinished in whichever log {@code dir} holds: for the local log, COMMIT
     * records without END; for the replicated log, instances whose COMMIT is chosen (accepted at one
     * ballot by a majority of the acceptors' files) and finished at none.
     */
    static List<String> unfinishedCommits(Path dir) {
        List<String> unfinished = new ArrayList<>();
        if (Files.isDirectory(BankFiles.logDirectory(dir))) {
            LogInspection.read(BankFiles.logDirectory(dir)).unfinished()
                    .forEach(r -> unfinished.add(r.gtrid()));
        }
        if (Files.isDirectory(dir.resolve("paxos"))) {
            unfinished.addAll(ClusterAccess.unfinishedCommits(MEMBER_IDS,
                    MEMBER_IDS.stream().map(member -> acceptorDirectory(dir, member)).toList()));
        }
        return unfinished;
    }
}
