package io.quorumtx.tm.paxos;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Members of one replicated log living in one JVM and reaching each other by direct calls
 * instead of TCP: for tests, and for a cluster that shares one process's fate on purpose (a crash
 * test's bank JVM, which dies and restarts as a whole cluster does). Each member is configured
 * with {@link ReplicatedLogConfig.Builder#inProcess(InProcessCluster) inProcess(this)} and opened
 * either as a full member ({@link ReplicatedCommitLog#open}) or, with {@link #startAcceptor}, as
 * an acceptor alone: a peer that accepts and coordinates nothing. A member can be cut off
 * ({@link #isolate}) to model a partition, or {@link #disconnect disconnected} as a stopped process.
 *
 * <p>Only the wiring is public; the acceptors and the network stay tm-core's internals, so a test
 * sees the replicated log exactly as an application does. Not for production: members that share
 * a process give no fault tolerance.
 */
public final class InProcessCluster implements AutoCloseable {
    private final InProcessNetwork network = new InProcessNetwork();
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
        if (config.inProcessNetwork() != network) {
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
     * Member {@code nodeId} becomes unreachable, as if its process had stopped (close its log or
     * acceptor as well to release its directory). A member opened again later is reachable again.
     */
    public void disconnect(String nodeId) {
        network.unregister(nodeId);
    }

    /** Messages to and from member {@code nodeId} fail until {@link #heal}: a partition, or a hung process. */
    public void isolate(String nodeId) {
        network.isolate(nodeId);
    }

    /** Ends {@link #isolate}. */
    public void heal(String nodeId) {
        network.heal(nodeId);
    }

    /** The network the members' transports use (package-private: tests in this package isolate and heal). */
    InProcessNetwork network() {
        return network;
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
            network.unregister(a.nodeId());
            a.close();
        }
    }
}
