package io.quorumtx.it.crash;

import io.quorumtx.tm.QuorumTransactionManagerBuilder;
import io.quorumtx.tm.log.LogInspection;
import io.quorumtx.tm.paxos.Acceptor;
import io.quorumtx.tm.paxos.AcceptorLog;
import io.quorumtx.tm.paxos.AcceptorState;
import io.quorumtx.tm.paxos.InProcessNetwork;
import io.quorumtx.tm.paxos.ReplicatedLogConfig;
import io.quorumtx.tm.paxos.StartMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

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
            InProcessNetwork network = new InProcessNetwork();
            // The bank JVM's first start bootstraps the cluster; every later one restarts on its files.
            boolean first = !Files.isDirectory(acceptorDirectory(dir, BankFiles.NODE_ID));
            ReplicatedLogConfig config = ReplicatedLogConfig.builder().nodeId(BankFiles.NODE_ID)
                    .dataDirectory(acceptorDirectory(dir, BankFiles.NODE_ID)).members(members())
                    .secret(SECRET).inProcess(network).tombstoneRetention(TOMBSTONE_RETENTION)
                    .startMode(first ? StartMode.BOOTSTRAP : StartMode.RESTART).build();
            List<Acceptor> peers = new ArrayList<>();
            for (String peer : PEERS) {
                Path peerDirectory = acceptorDirectory(dir, peer);
                AcceptorLog files = first ? AcceptorLog.bootstrap(peerDirectory, peer) : AcceptorLog.open(peerDirectory, peer);
                Acceptor acceptor = new Acceptor(peer, MEMBER_IDS, files, config.acceptorRules());
                network.register(acceptor);
                peers.add(acceptor);
            }
            builder.replicatedLog(config);
            return () -> peers.forEach(Acceptor::close);
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
            Map<String, List<AcceptorState.Slot>> slots = new HashMap<>();
            for (String member : new TreeSet<>(MEMBER_IDS)) {
                AcceptorState state = new AcceptorState();
                AcceptorLog.read(acceptorDirectory(dir, member)).forEach(state::replay);
                state.slots().forEach((g, s) -> slots.computeIfAbsent(g, k -> new ArrayList<>()).add(s));
            }
            slots.forEach((gtrid, copies) -> {
                boolean finishedSomewhere = copies.stream().anyMatch(AcceptorState.Slot::finished);
                Map<Object, Long> commitsByBallot = new HashMap<>();
                for (AcceptorState.Slot s : copies) {
                    if (s.accepted() != null && s.accepted().isCommit()) {
                        commitsByBallot.merge(s.acceptedBallot(), 1L, Long::sum);
                    }
                }
                boolean chosen = commitsByBallot.values().stream().anyMatch(n -> n >= 2);
                if (chosen && !finishedSomewhere) {
                    unfinished.add(gtrid);
                }
            });
        }
        return unfinished;
    }
}
