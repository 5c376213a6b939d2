package io.quorumtx.tm.paxos;

import java.util.concurrent.CompletableFuture;

/**
 * Sends one message from this node to the acceptor of node {@code to} and completes with its
 * reply, or exceptionally (unreachable, timed out, refused). Implementations: TCP between
 * processes ({@link TcpTransport}), and in-process for tests and simulation
 * ({@link InProcessCluster}).
 */
interface PaxosTransport extends AutoCloseable {

    CompletableFuture<PaxosMessage> send(String to, PaxosMessage message);

    @Override
    void close();
}
