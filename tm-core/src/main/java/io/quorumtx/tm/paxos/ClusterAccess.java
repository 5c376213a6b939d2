package io.quorumtx.tm.paxos;

import io.quorumtx.tm.log.CommitLogException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * How a program outside the cluster (the recovery tool) reaches the replicated log: as a
 * proposer and learner without an acceptor of its own, either over the network to the running
 * members, or offline over the acceptor directories of stopped members, which it then runs in
 * this process. Either way the result is a {@link ReplicatedCommitLog} client that reads
 * decisions from a majority and can take over ({@link ReplicatedCommitLog#probeReplicas()} says
 * which replicas answered). The acceptors and transports behind it stay tm-core's internals.
 * {@link #unfinishedCommits} reads stopped members' acceptor directories without running them.
 */
public final class ClusterAccess {

    private ClusterAccess() {
    }

    /**
     * A client of the running members over TCP, authenticated with {@code cluster}'s shared
     * secret (and its rotation secrets); {@code cluster.self()} is the client's id.
     */
    public static ReplicatedCommitLog tcp(ClusterConfig cluster, Duration requestTimeout, Duration lease)
            throws IOException {
        return client(cluster, TcpTransport.client(cluster, requestTimeout), requestTimeout, lease);
    }

    /**
     * A client of the running members over TLS: {@code tls}'s certificate authenticates the client,
     * whose id ({@code cluster.self()}) must be the one the certificate names.
     */
    public static ReplicatedCommitLog tls(ClusterConfig cluster, TlsSettings tls, Duration requestTimeout,
                                          Duration lease) throws IOException {
        return client(cluster, TcpTransport.client(cluster, tls, requestTimeout), requestTimeout, lease);
    }

    private static ReplicatedCommitLog client(ClusterConfig cluster, PaxosTransport transport,
                                              Duration requestTimeout, Duration lease) {
        return ReplicatedCommitLog.client(cluster.self(), cluster.members().keySet(), transport, requestTimeout,
                lease);
    }

    /**
     * Stopped members' acceptors of the cluster of {@code members}, to be opened one directory at a
     * time ({@link Offline#open}) and run in this process.
     */
    public static Offline offline(Set<String> members) {
        return new Offline(members);
    }

    /**
     * The transactions whose COMMIT is chosen but not finished, read straight from the acceptor
     * directories of stopped members (a crash test's check after a whole cluster died): chosen
     * means accepted at one ballot by a majority of {@code members}; unfinished, finished (a
     * tombstone) in none of the directories. Takes no lock and runs no acceptor: the caller must
     * know the members are stopped. A transaction chosen by a majority that includes a directory
     * not given here is not seen: give every member's directory.
     *
     * @throws io.quorumtx.tm.log.CommitLogException if a directory cannot be read
     */
    public static List<String> unfinishedCommits(Set<String> members, Collection<Path> acceptorDirectories) {
        Map<String, List<AcceptorState.Slot>> copies = new TreeMap<>();
        for (Path directory : acceptorDirectories) {
            AcceptorState state = new AcceptorState();
            AcceptorLog.read(directory).forEach(state::replay);
            state.slots().forEach((gtrid, slot) -> copies.computeIfAbsent(gtrid, g -> new ArrayList<>()).add(slot));
        }
        int majority = members.size() / 2 + 1;
        List<String> unfinished = new ArrayList<>();
        copies.forEach((gtrid, slots) -> {
            if (slots.stream().anyMatch(AcceptorState.Slot::finished)) {
                return;
            }
            Map<Ballot, Integer> commitsByBallot = new HashMap<>();
            for (AcceptorState.Slot s : slots) {
                if (s.accepted() != null && s.accepted().isCommit()) {
                    commitsByBallot.merge(s.acceptedBallot(), 1, Integer::sum);
                }
            }
            if (commitsByBallot.values().stream().anyMatch(n -> n >= majority)) {
                unfinished.add(gtrid);
            }
        });
        return unfinished;
    }

    /** Acceptors of stopped members run in this process; closing releases their directories. */
    public static final class Offline implements AutoCloseable {
        private final Set<String> members;
        private final InProcessCluster network = new InProcessCluster();
        private final List<Acceptor> held = new ArrayList<>();

        private Offline(Set<String> members) {
            this.members = Set.copyOf(members);
        }

        /**
         * Opens the acceptor directory of member {@code nodeId}, taking its lock, and runs it under
         * the cluster's forgetting rules: {@code tombstoneRetention} and {@code clockSkewMargin}
         * must be the ones the nodes use (nothing on disk records them).
         *
         * @throws CommitLogException if the directory cannot be read
         * @throws IllegalStateException if it is locked (its member runs) or already open here
         */
        public void open(Path directory, String nodeId, Duration tombstoneRetention, Duration clockSkewMargin) {
            AcceptorState.Rules rules = new AcceptorState.Rules(tombstoneRetention.toMillis(),
                    clockSkewMargin.toMillis());
            Acceptor a = new Acceptor(nodeId, members, AcceptorLog.open(directory, nodeId), rules);
            held.add(a);
            network.register(a);
        }

        /** The members whose acceptors are open here, in the order opened. */
        public Set<String> nodeIds() {
            Set<String> ids = new LinkedHashSet<>();
            held.forEach(a -> ids.add(a.nodeId()));
            return ids;
        }

        /** A client with id {@code proposerId} that reaches the acceptors opened here. */
        public ReplicatedCommitLog client(String proposerId, Duration requestTimeout, Duration lease) {
            return ReplicatedCommitLog.client(proposerId, members, network.transportFor(proposerId), requestTimeout,
                    lease);
        }

        /** Closes the acceptors (close the clients first). */
        @Override
        public void close() {
            held.forEach(Acceptor::close);
            held.clear();
        }
    }
}
