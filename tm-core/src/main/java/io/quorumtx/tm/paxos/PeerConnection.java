package io.quorumtx.tm.paxos;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side: the connection from this node to one peer, opened and authenticated through
 * the {@link ConnectionSecurity} on the first send and reopened after a failure, no sooner than a
 * back-off that doubles from 50 ms to 2 s while the peer stays unreachable. Requests are
 * multiplexed by id, each with a timeout; at most {@value #MAX_OUTSTANDING} are outstanding, beyond
 * that sends fail at once. A connection without a frame and without outstanding requests for
 * {@code idleTimeout} is closed (the next send reopens it); the server waits twice as long.
 *
 * <p>Threads: senders hold this object's lock while connecting and writing; one reader thread
 * per connection completes the replies.
 */
final class PeerConnection {
    private static final Logger LOG = LoggerFactory.getLogger(PeerConnection.class);
    static final int MAX_OUTSTANDING = 10_000;
    private static final long MIN_BACKOFF_MILLIS = 50;
    private static final long MAX_BACKOFF_MILLIS = 2000;

    private final ClusterConfig cluster;
    private final long digest;
    private final ConnectionSecurity security;
    private final String id;
    private final InetSocketAddress address;
    private final Duration requestTimeout;
    private final Duration idleTimeout;
    private final ConcurrentMap<Long, CompletableFuture<PaxosMessage>> pending = new ConcurrentHashMap<>();
    private Socket socket;
    private FrameChannel channel;
    private long nextId = 1;
    private long retryAtNanos;
    private long backoffMillis = MIN_BACKOFF_MILLIS;
    private String lastFailure = "";
    private volatile boolean closed;

    PeerConnection(ClusterConfig cluster, ConnectionSecurity security, String id, InetSocketAddress address,
                   Duration requestTimeout, Duration idleTimeout) {
        this.cluster = cluster;
        this.digest = cluster.membersDigest();
        this.security = security;
        this.id = id;
        this.address = address;
        this.requestTimeout = requestTimeout;
        this.idleTimeout = idleTimeout;
    }

    @SuppressWarnings("FutureReturnValueIgnored") // the clean-up stage's own future is not needed: callers get reply
    CompletableFuture<PaxosMessage> send(PaxosMessage message) {
        CompletableFuture<PaxosMessage> reply = new CompletableFuture<>();
        if (pending.size() >= MAX_OUTSTANDING) {
            reply.completeExceptionally(new IOException(MAX_OUTSTANDING + " requests to node " + id
                    + " are outstanding already"));
            return reply;
        }
        long requestId;
        synchronized (this) {
            try {
                connect();
            } catch (IOException e) {
                reply.completeExceptionally(e);
                return reply;
            }
            requestId = nextId++;
            pending.put(requestId, reply);
            byte[] envelope = PaxosWire.encode(new PaxosWire.Envelope(digest, cluster.self(), id, requestId, message));
            try {
                channel.write(envelope);
            } catch (IOException e) {
                disconnect(e);
                return reply;
            }
        }
        reply.orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((r, t) -> pending.remove(requestId));
        return reply;
    }

    /** Caller holds this object's lock. */
    private void connect() throws IOException {
        if (closed) {
            throw new IOException("transport of " + cluster.self() + " is closed");
        }
        if (socket != null) {
            return;
        }
        long now = System.nanoTime();
        if (now < retryAtNanos) {
            throw new IOException("node " + id + " at " + address.getHostString() + ":" + address.getPort()
                    + " is unreachable (" + lastFailure + "); next attempt in "
                    + TimeUnit.NANOSECONDS.toMillis(retryAtNanos - now) + " ms");
        }
        Socket s = null;
        FrameChannel c = null;
        for (int attempt = 1; c == null; attempt++) {
            try {
                s = security.connect(new InetSocketAddress(address.getHostString(), address.getPort()),
                        requestTimeout);
                s.setSoTimeout((int) requestTimeout.toMillis());
                Session session = security.authenticateAsClient(s, id);
                s.setSoTimeout((int) idleTimeout.toMillis());
                c = new FrameChannel(s, session, true);
            } catch (IOException | ConnectionSecurity.Refused e) {
                if (s != null) {
                    TcpTransport.closeQuietly(s);
                }
                if (attempt >= security.attemptsPerConnect() || !(e instanceof java.io.EOFException)) {
                    throw failed(e, now);
                }
            }
        }
        socket = s;
        channel = c;
        backoffMillis = MIN_BACKOFF_MILLIS;
        Socket connected = s;
        FrameChannel established = c;
        Thread reader = new Thread(() -> read(connected, established), "quorumtx-paxos-client-" + cluster.self() + "-" + id);
        reader.setDaemon(true);
        reader.start();
    }

    /** Caller holds this object's lock: records the failure, starts the back-off, and says what failed. */
    private IOException failed(Exception e, long now) {
        lastFailure = e.getMessage();
        retryAtNanos = now + TimeUnit.MILLISECONDS.toNanos(backoffMillis);
        backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        if (e instanceof ConnectionSecurity.Refused) {
            LOG.warn("Node {} refused the Paxos connection to node {}: {}", cluster.self(), id, e.getMessage());
        }
        return new IOException("cannot connect to node " + id + " at " + address.getHostString() + ":"
                + address.getPort() + ": " + e.getMessage(), e);
    }

    private void read(Socket s, FrameChannel c) {
        try {
            while (true) {
                byte[] bytes;
                try {
                    bytes = c.read();
                } catch (SocketTimeoutException idle) {
                    if (pending.isEmpty()) {
                        synchronized (this) {
                            if (socket == s && pending.isEmpty()) {
                                // not a failure: no back-off, the next send reconnects at once
                                TcpTransport.closeQuietly(s);
                                socket = null;
                                channel = null;
                                return;
                            }
                        }
                    }
                    continue; // requests outstanding: they time out on their own
                }
                PaxosWire.Envelope e;
                try {
                    e = PaxosWire.decode(ByteBuffer.wrap(bytes));
                } catch (PaxosWire.MalformedMessageException x) {
                    throw new FrameChannel.RefusedFrame("an authenticated but malformed reply: " + x.getMessage());
                }
                if (!id.equals(e.from()) || !cluster.self().equals(e.to())) {
                    throw new FrameChannel.RefusedFrame("a reply from '" + e.from() + "' to '" + e.to() + "' on the"
                            + " connection to node " + id);
                }
                if (e.message() instanceof PaxosMessage.Error err && err.message().startsWith("member lists")) {
                    LOG.error("Node {} refused this node's Paxos messages: {}", id, err.message());
                }
                CompletableFuture<PaxosMessage> f = pending.remove(e.requestId());
                if (f != null) {
                    f.complete(e.message());
                }
            }
        } catch (FrameChannel.RefusedFrame refused) {
            LOG.warn("Node {} sent {}; connection closed", id, refused.getMessage());
            synchronized (this) {
                if (socket == s) {
                    disconnect(new IOException("node " + id + " sent " + refused.getMessage()));
                }
            }
        } catch (IOException e) {
            synchronized (this) {
                if (socket == s) {
                    disconnect(e instanceof EOFException
                            ? new IOException("node " + id + " closed the connection (a restart, or it refused a"
                            + " message; see its log)")
                            : e);
                }
            }
        }
    }

    /** Caller holds this object's lock. */
    private void disconnect(IOException cause) {
        if (socket != null) {
            TcpTransport.closeQuietly(socket);
            socket = null;
            channel = null;
            lastFailure = cause.getMessage();
            retryAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MIN_BACKOFF_MILLIS);
        }
        failPending(cause);
    }

    private void failPending(IOException cause) {
        List<CompletableFuture<PaxosMessage>> all = new ArrayList<>(pending.values());
        pending.clear();
        for (CompletableFuture<PaxosMessage> f : all) {
            f.completeExceptionally(cause);
        }
    }

    void close(IOException cause) {
        closed = true;
        synchronized (this) {
            disconnect(cause);
        }
    }
}
