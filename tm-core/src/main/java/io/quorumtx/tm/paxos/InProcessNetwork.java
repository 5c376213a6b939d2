package io.quorumtx.tm.paxos;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Acceptors of several nodes in one JVM, reached by direct calls (tests, the embedded single-JVM
 * cluster). A node can be cut off ({@link #isolate}) to model a partition or a stopped process.
 */
final class InProcessNetwork {
    private final Map<String, Acceptor> acceptors = new ConcurrentHashMap<>();
    private final Set<String> isolated = ConcurrentHashMap.newKeySet();

    public void register(Acceptor acceptor) {
        acceptors.put(acceptor.nodeId(), acceptor);
    }

    public void unregister(String nodeId) {
        acceptors.remove(nodeId);
    }

    /** Messages to and from {@code nodeId} fail until {@link #heal}. */
    public void isolate(String nodeId) {
        isolated.add(nodeId);
    }

    public void heal(String nodeId) {
        isolated.remove(nodeId);
    }

    /** The transport node {@code from} sends with. */
    PaxosTransport transportFor(String from) {
        return new PaxosTransport() {
            @Override
            public CompletableFuture<PaxosMessage> send(String to, PaxosMessage message) {
                Acceptor a = acceptors.get(to);
                if (a == null || isolated.contains(to) || isolated.contains(from)) {
                    return CompletableFuture.failedFuture(new java.io.IOException("node " + to + " is unreachable"));
                }
                return a.handle(from, message);
            }

            @Override
            public void close() {
                // nothing to release
            }
        };
    }
}
