package io.quorumtx.tm.paxos;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Members of one replicated log living in one JVM and reaching each other's acceptors by direct
 * calls instead of TCP: for tests, and for a cluster that shares one process's fate on purpose (a
 * crash test's bank JVM, which dies and restarts as a whole cluster does). Each member is
 * configured with {@link ReplicatedLogConfig.Builder#inProcess(InProcessCluster) inProcess(this)}
 * and opened either as a full member ({@link ReplicatedCommitLog#open}) or, with
 * {@link #startAcceptor}, as an acceptor alone: a peer that accepts and coordinates nothing. A
 * member can be cut off ({@link #isolate}) to model a partition, or {@link #disconnect
 * disconnected} as a stopped process.
 *
 * <p>Only the wiring is public; the acceptors stay tm-core's internals, so a test sees the
 * replicated log as an application does. Not for a deployment: members that share a process
 * give no fault tolerance (integration-tests' ArchitectureTest keeps main code from using it).
 */
public final class InProcessCluster implements AutoCloseable {
    private final Map<String, Acceptor> reachable = new ConcurrentHashMap<>();
    private final Set<String> isolated = ConcurrentHashMap.newKeySet();
    /** The acceptors started alone, by node id; guarded by {@code this}. */
    private final Map<String, Acceptor> acceptorsAlone = new LinkedHashMap<>();

    /**
     * Opens member {@code config.nodeId()}'s acceptor from its data directory as its start mode
     * says (bootstrap, restart or rejoin) and makes it reachable here; {@link #close} closes it.
     *
     * @throws IllegalArgumentException if {@code config} is not configured with this cluster, or
     *         an acceptor of that member already runs here
     * @throws io.quorumtx.tm.log.CommitLogException if its directory cannot be used
     */
    public void startAcceptor(ReplicatedLogConfig config) {
        if (config.inProcessCluster() != this) {
            throw new IllegalArgumentException("the configuration of member " + config.nodeId() + " must name this"
                    + " cluster: ReplicatedLogConfig.builder()...inProcess(cluster)");
        }
        synchronized (this) {
            if (acceptorsAlone.containsKey(config.nodeId())) {
                throw new IllegalArgumentException("the acceptor of member " + config.nodeId() + " already runs here");
            }
            ServedAcceptor served = ServedAcceptor.start(config);
            served.transport().close(); // an acceptor alone sends nothing
            acceptorsAlone.put(config.nodeId(), served.acceptor());
        }
    }

    /**
     * Member {@code nodeId}'s acceptor becomes unreachable, as if its process had stopped (close
     * its log too, to release its directory); opening the member again makes it reachable again.
     */
    public void disconnect(String nodeId) {
        reachable.remove(nodeId);
    }

    /** Messages to and from member {@code nodeId} fail until {@link #heal}: a partition, or a hung process. */
    public void isolate(String nodeId) {
        isolated.add(nodeId);
    }

    /** Ends {@link #isolate}. */
    public void heal(String nodeId) {
        isolated.remove(nodeId);
    }

    /** Makes {@code acceptor} reachable under its node id (a member opening, or the tool's offline acceptors). */
    void register(Acceptor acceptor) {
        reachable.put(acceptor.nodeId(), acceptor);
    }

    /** The transport node {@code from} sends with. */
    PaxosTransport transportFor(String from) {
        return new PaxosTransport() {
            @Override
            public CompletableFuture<PaxosMessage> send(String to, PaxosMessage message) {
                Acceptor a = reachable.get(to);
                if (a == null || isolated.contains(to) || isolated.contains(from)) {
                    return CompletableFuture.failedFuture(new IOException("node " + to + " is unreachable"));
                }
                return a.handle(from, message);
            }

            @Override
            public void close() {
                // nothing to release
            }
        };
    }

    /** Closes the acceptors started alone here (close the members' logs first). Idempotent. */
    @Override
    public void close() {
        List<Acceptor> toClose;
        synchronized (this) {
            toClose = new ArrayList<>(acceptorsAlone.values());
            acceptorsAlone.clear();
        }
        for (Acceptor a : toClose) {
            reachable.remove(a.nodeId());
            a.close();
        }
    }
}
