package io.quorumtx.tm.paxos;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of a member's transport: accepts connections, authenticates them through the
 * {@link ConnectionSecurity}, and hands each authenticated message to the acceptor.
 *
 * <p><b>Authenticate before allocating.</b> A connection is first <em>pending</em>: at most
 * {@value #MAX_PENDING} at a time, with a short read timeout and a total deadline (a sweeper
 * closes any that pass it, so a peer trickling bytes gains nothing), and reads only the bounded
 * handshake. When a new connection would exceed the pending cap the <em>oldest</em> pending one is
 * closed: an honest handshake takes one round trip, so a flood of connections that never finish
 * cannot keep a member from getting through on its next attempt. Pending connections never count
 * against the {@value #MAX_AUTHENTICATED} authenticated ones, which the members use.
 *
 * <p><b>Identity.</b> Every envelope must come from the id the connection authenticated, and
 * the ballots of its Prepare/Accept requests and its lease renewals must name that node: a
 * member holding the key cannot make another member's ballot or keep another member's lease alive
 * over its own connection. A violation is logged as a protocol violation and closes the connection
 * before the acceptor sees the message.
 *
 * <p><b>Idle connections</b> are closed after {@code idleTimeout} without a frame (the client
 * side closes its own after half that, so the server never closes a connection a live client is
 * about to use); members renew their leases every third of a lease, so their connections are
 * never idle.
 */
final class TransportServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TransportServer.class);
    static final int MAX_PENDING = 8;
    static final int MAX_AUTHENTICATED = 64;

    private record Pending(Socket socket, long startNanos) {
    }

    private final ClusterConfig cluster;
    private final long digest;
    private final ConnectionSecurity security;
    private final Acceptor acceptor;
    private final Duration handshakeTimeout;
    private final Duration idleTimeout;
    private final ServerSocket server;
    private final Thread acceptThread;
    private final ScheduledExecutorService sweeper;
    private final Deque<Pending> pending = new ArrayDeque<>();
    private final AtomicInteger authenticated = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Map<String, Boolean> mismatchLogged = new ConcurrentHashMap<>();
    private volatile boolean closed;

    @SuppressWarnings("FutureReturnValueIgnored") // the sweep only closes sockets quietly (nothing to lose); close() shuts the sweeper down
    TransportServer(ClusterConfig cluster, ConnectionSecurity security, Acceptor acceptor, Duration handshakeTimeout,
                    Duration idleTimeout) throws IOException {
        this.cluster = cluster;
        this.digest = cluster.membersDigest();
        this.security = security;
        this.acceptor = acceptor;
        this.handshakeTimeout = handshakeTimeout;
        this.idleTimeout = idleTimeout;
        InetSocketAddress own = cluster.members().get(cluster.self());
        try {
            server = security.openServerSocket(new InetSocketAddress(own.getHostString(), own.getPort()));
        } catch (IOException e) {
            throw new IOException("Cannot listen on " + own.getHostString() + ":" + own.getPort() + " for the"
                    + " replicated log of node " + cluster.self() + ": " + e.getMessage(), e);
        }
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "quorumtx-paxos-handshake-sweeper-" + cluster.self());
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(50, handshakeTimeout.toMillis() / 4);
        sweeper.scheduleWithFixedDelay(this::closeOverdueHandshakes, period, period, TimeUnit.MILLISECONDS);
        acceptThread = new Thread(this::acceptLoop, "quorumtx-paxos-server-" + cluster.self());
        acceptThread.setDaemon(true);
        acceptThread.start();
    }

    /** Pending and authenticated connections now (tests and diagnostics). */
    int pendingConnections() {
        synchronized (pending) {
            return pending.size();
        }
    }

    int authenticatedConnections() {
        return authenticated.get();
    }

    @Override
    public void close() {
        closed = true;
        sweeper.shutdownNow();
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("Closing the Paxos server socket failed: {}", e.toString());
        }
        for (Socket s : open) {
            TcpTransport.closeQuietly(s);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("Paxos server of node {} stopped accepting connections: {}", cluster.self(), e.toString());
                }
                return;
            }
            Pending evicted = null;
            Pending p = new Pending(socket, System.nanoTime());
            synchronized (pending) {
                if (pending.size() >= MAX_PENDING) {
                    evicted = pending.pollFirst();
                }
                pending.addLast(p);
            }
            if (evicted != null) {
                LOG.debug("Paxos server of node {}: {} handshakes pending, closed the oldest from {}", cluster.self(),
                        MAX_PENDING, evicted.socket().getRemoteSocketAddress());
                TcpTransport.closeQuietly(evicted.socket());
            }
            open.add(socket);
            Thread t = new Thread(() -> serve(p), "quorumtx-paxos-conn-" + cluster.self());
            t.setDaemon(true);
            t.start();
        }
    }

    private void closeOverdueHandshakes() {
        long now = System.nanoTime();
        List<Pending> overdue = new java.util.ArrayList<>();
        synchronized (pending) {
            for (Pending p : pending) {
                if (now - p.startNanos() > handshakeTimeout.toNanos()) {
                    overdue.add(p);
                }
            }
            pending.removeAll(overdue);
        }
        for (Pending p : overdue) {
            LOG.debug("Paxos server of node {}: handshake from {} not done within {}; closed", cluster.self(),
                    p.socket().getRemoteSocketAddress(), handshakeTimeout);
            TcpTransport.closeQuietly(p.socket());
        }
    }

    private boolean leavePending(Pending p) {
        synchronized (pending) {
            return pending.remove(p);
        }
    }

    private void serve(Pending p) {
        Socket socket = p.socket();
        boolean counted = false;
        try (socket) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) handshakeTimeout.toMillis());
            Session session = security.authenticateAsServer(socket);
            if (!leavePending(p)) {
                return; // evicted or overdue meanwhile: already closed
            }
            if (authenticated.incrementAndGet() > MAX_AUTHENTICATED) {
                authenticated.decrementAndGet();
                LOG.warn("Paxos server of node {} refused an authenticated connection from {} ({}): {} connections"
                        + " open already", cluster.self(), session.peerNodeId(), socket.getRemoteSocketAddress(),
                        MAX_AUTHENTICATED);
                return;
            }
            counted = true;
            socket.setSoTimeout((int) idleTimeout.toMillis());
            established(new FrameChannel(socket, session, false));
        } catch (ConnectionSecurity.Refused refused) {
            LOG.warn("Paxos server of node {} refused {} from {}; connection closed", cluster.self(),
                    refused.getMessage(), socket.getRemoteSocketAddress());
        } catch (FrameChannel.RefusedFrame refused) {
            LOG.warn("Paxos server of node {} refused {} from {}; connection closed, nothing changed", cluster.self(),
                    refused.getMessage(), socket.getRemoteSocketAddress());
        } catch (SocketTimeoutException e) {
            LOG.debug("Paxos connection from {} to node {} idle or too slow; closed", socket.getRemoteSocketAddress(),
                    cluster.self());
        } catch (EOFException | SocketException e) {
            // the peer went away, or the connection was closed by eviction, the sweeper or close()
        } catch (IOException e) {
            LOG.debug("Paxos connection to node {} failed: {}", cluster.self(), e.toString());
        } finally {
            leavePending(p);
            open.remove(socket);
            if (counted) {
                authenticated.decrementAndGet();
            }
        }
    }

    @SuppressWarnings("FutureReturnValueIgnored") // the reply stage answers the peer itself; a request that fails is answered by the acceptor with an Error
    private void established(FrameChannel channel) throws IOException, FrameChannel.RefusedFrame {
        String peer = channel.session().peerNodeId();
        while (!closed) {
            byte[] bytes = channel.read();
            PaxosWire.Envelope e;
            try {
                e = PaxosWire.decode(ByteBuffer.wrap(bytes));
            } catch (PaxosWire.MalformedMessageException x) {
                throw new FrameChannel.RefusedFrame("an authenticated but malformed message from '" + peer + "': "
                        + x.getMessage());
            }
            if (e.membersDigest() != digest) {
                if (mismatchLogged.putIfAbsent(e.from(), Boolean.TRUE) == null) {
                    LOG.error("Node {} sent a Paxos message with another member list than this node's {}: every"
                            + " node must list the same members; its requests are refused", e.from(),
                            cluster.describeMembers());
                }
                reply(channel, e, new PaxosMessage.Error("member lists differ: node " + cluster.self() + " has "
                        + cluster.describeMembers() + "; every node must list the same members"));
                continue;
            }
            // after the member-list check: a node with another list gets its clear error, and nothing
            // reaches the acceptor either way
            String violation = protocolViolation(peer, e);
            if (violation != null) {
                throw new FrameChannel.RefusedFrame("a protocol violation by '" + peer + "': " + violation);
            }
            acceptor.handle(e.from(), e.message()).thenAccept(r -> reply(channel, e, r));
        }
    }

    /**
     * Why {@code e}, received on a connection authenticated as {@code peer}, must be refused, or
     * null. Ballots carry proposer ids {@code node.incarnation.counter} (round 0: the owner's bare
     * node id): the node part must be the authenticated peer.
     */
    String protocolViolation(String peer, PaxosWire.Envelope e) {
        if (!cluster.self().equals(e.to())) {
            return "a message addressed to node '" + e.to() + "', not this node";
        }
        if (!peer.equals(e.from())) {
            return "a message from '" + e.from() + "' on a connection authenticated as '" + peer + "'";
        }
        if (e.message() instanceof PaxosMessage.Renew r && !r.nodeId().equals(peer)) {
            return "a lease renewal for node '" + r.nodeId() + "'";
        }
        if (e.message() instanceof PaxosMessage.Requests requests) {
            for (PaxosRequest q : requests.requests()) {
                Ballot b = q instanceof PaxosRequest.Prepare prepare ? prepare.ballot()
                        : q instanceof PaxosRequest.Accept accept ? accept.ballot() : null;
                if (b != null && !proposerNode(b).equals(peer)) {
                    return "a ballot " + b + " of node '" + proposerNode(b) + "' for " + q.gtrid();
                }
            }
        }
        return null;
    }

    /** The node part of a ballot's proposer id (node ids contain no '.'). */
    static String proposerNode(Ballot b) {
        int dot = b.nodeId().indexOf('.');
        return dot < 0 ? b.nodeId() : b.nodeId().substring(0, dot);
    }

    private void reply(FrameChannel channel, PaxosWire.Envelope request, PaxosMessage message) {
        byte[] envelope = PaxosWire.encode(new PaxosWire.Envelope(digest, cluster.self(), request.from(),
                request.requestId(), message));
        try {
            channel.write(envelope);
        } catch (IOException e) {
            LOG.debug("Could not answer node {}: {}", request.from(), e.toString());
        }
    }
}
