package io.quorumtx.tm.paxos;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Paxos messages over TCP between the members of a {@link ClusterConfig}, each frame
 * authenticated with HMAC-SHA256 over the shared secret:
 * {@code frame = length:int32 hmac:32 bytes envelope} ({@link PaxosWire}).
 *
 * <p>Server side (a node with an acceptor): a frame that fails authentication, does not parse,
 * is addressed to another node, or comes from a sender that is neither a member nor the recovery
 * tool is logged and its connection closed; it never reaches the acceptor. A sender whose member
 * list differs (digest in every envelope) gets an authenticated error and is logged.
 *
 * <p>Client side: one connection per peer, requests multiplexed by id, each with a timeout. A
 * failed connection fails its outstanding requests and is reopened on a later send, no sooner
 * than a back-off that doubles from 50 ms to 2 s while the peer stays unreachable. At most
 * {@value #MAX_OUTSTANDING} requests are outstanding per peer; beyond that sends fail at once.
 * In this shared-secret mode confidentiality is not provided (the messages hold transaction ids
 * and resource names, not data); run the cluster on a trusted network or a VPN if that matters,
 * or use TLS ({@link TlsSettings}, {@link TlsSecurity}): then every connection is TLS 1.3 with
 * both ends' certificates checked, and a connection speaks only for the node its certificate names.
 */
public final class TcpTransport implements PaxosTransport {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);
    private static final int HMAC_BYTES = 32;
    private static final int MAX_OUTSTANDING = 10_000;
    private static final int MAX_CONNECTIONS = 64;
    private static final long MIN_BACKOFF_MILLIS = 50;
    private static final long MAX_BACKOFF_MILLIS = 2000;
    /** Not a secret: the frame tag's key in TLS mode, where TLS authenticates every record. */
    private static final byte[] TLS_FRAME_KEY = "quorumtx-tls-frame-tag-not-secret".getBytes(
            java.nio.charset.StandardCharsets.US_ASCII);

    private final ClusterConfig cluster;
    private final long digest;
    private final SecretKeySpec key;
    private final Duration requestTimeout;
    private final Duration connectTimeout;
    private final Acceptor acceptor;
    private final ServerSocket server;
    private final Thread acceptThread;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Socket> serverSockets = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ConcurrentMap<String, Peer> peers = new ConcurrentHashMap<>();
    private final Map<String, Boolean> mismatchLogged = new ConcurrentHashMap<>();
    /** TLS mode (issue 12): null in the shared-secret mode. */
    private final TlsSecurity tls;
    private volatile boolean closed;

    private TcpTransport(ClusterConfig cluster, TlsSecurity tls, Acceptor acceptor, Duration requestTimeout,
                         Duration connectTimeout) throws IOException {
        this.cluster = cluster;
        this.tls = tls;
        this.digest = cluster.membersDigest();
        // With TLS the channel authenticates and encrypts every record; the frame keeps its tag
        // (under a fixed, public key) only so both modes share one frame format.
        this.key = new SecretKeySpec(tls == null ? cluster.secret() : TLS_FRAME_KEY, "HmacSHA256");
        this.requestTimeout = requestTimeout;
        this.connectTimeout = connectTimeout;
        this.acceptor = acceptor;
        if (acceptor != null) {
            InetSocketAddress own = cluster.members().get(cluster.self());
            ServerSocket s = tls == null ? new ServerSocket() : tls.newServerSocket();
            s.setReuseAddress(true);
            try {
                s.bind(new InetSocketAddress(own.getHostString(), own.getPort()));
            } catch (IOException e) {
                s.close();
                throw new IOException("Cannot listen on " + own.getHostString() + ":" + own.getPort() + " for the"
                        + " replicated log of node " + cluster.self() + ": " + e.getMessage(), e);
            }
            server = s;
            acceptThread = new Thread(this::acceptLoop, "quorumtx-paxos-server-" + cluster.self());
            acceptThread.setDaemon(true);
            acceptThread.start();
        } else {
            server = null;
            acceptThread = null;
        }
    }

    /** A member's transport: serves its acceptor on its own address and sends to the others. */
    public static TcpTransport serve(ClusterConfig cluster, Acceptor acceptor, Duration requestTimeout)
            throws IOException {
        return new TcpTransport(cluster, null, acceptor, requestTimeout, requestTimeout);
    }

    /**
     * A member's transport over TLS 1.3 with mutual authentication ({@link TlsSettings}): its
     * certificate must name {@code cluster.self()}; the secret of {@code cluster} is not used.
     *
     * @throws IllegalArgumentException naming the store or certificate that is wrong
     */
    public static TcpTransport serve(ClusterConfig cluster, TlsSettings tls, Acceptor acceptor, Duration requestTimeout)
            throws IOException {
        return new TcpTransport(cluster, TlsSecurity.create(tls, cluster, true, requestTimeout), acceptor,
                requestTimeout, requestTimeout);
    }

    /** A client-only transport (the recovery tool): sends, serves nothing. */
    public static TcpTransport client(ClusterConfig cluster, Duration requestTimeout) throws IOException {
        return new TcpTransport(cluster, null, null, requestTimeout, requestTimeout);
    }

    /**
     * A client-only transport over TLS (the recovery tool): its certificate names an id starting
     * with {@value ClusterConfig#TOOL_PREFIX}, and the members accept its messages only under a
     * tool id; the secret of {@code cluster} is not used.
     */
    public static TcpTransport client(ClusterConfig cluster, TlsSettings tls, Duration requestTimeout)
            throws IOException {
        return new TcpTransport(cluster, TlsSecurity.create(tls, cluster, false, requestTimeout), null,
                requestTimeout, requestTimeout);
    }

    @Override
    public CompletableFuture<PaxosMessage> send(String to, PaxosMessage message) {
        if (closed) {
            return CompletableFuture.failedFuture(new IOException("transport of " + cluster.self() + " is closed"));
        }
        InetSocketAddress address = cluster.members().get(to);
        if (address == null) {
            return CompletableFuture.failedFuture(new IOException(to + " is not a member " + cluster.members().keySet()));
        }
        return peers.computeIfAbsent(to, id -> new Peer(id, address)).send(message);
    }

    @Override
    public void close() {
        closed = true;
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                LOG.debug("Closing the Paxos server socket failed: {}", e.toString());
            }
            for (Socket s : serverSockets) {
                closeQuietly(s);
            }
        }
        for (Peer p : peers.values()) {
            p.fail(new IOException("transport closed"));
        }
    }

    // ------------------------------------------------------------------ framing

    private Mac mac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
        }
    }

    private static void writeFrame(DataOutputStream out, Mac mac, byte[] envelope) throws IOException {
        byte[] tag = mac.doFinal(envelope);
        out.writeInt(HMAC_BYTES + envelope.length);
        out.write(tag);
        out.write(envelope);
        out.flush();
    }

    /** Reads one frame and checks its tag; the reason it was refused in the exception otherwise. */
    private static PaxosWire.Envelope readFrame(DataInputStream in, Mac mac) throws IOException, RefusedFrame {
        int length = in.readInt();
        if (length < HMAC_BYTES + 1 || length > HMAC_BYTES + PaxosWire.MAX_ENVELOPE_BYTES) {
            throw new RefusedFrame("a frame of impossible length " + length);
        }
        byte[] tag = new byte[HMAC_BYTES];
        in.readFully(tag);
        byte[] envelope = new byte[length - HMAC_BYTES];
        in.readFully(envelope);
        if (!MessageDigest.isEqual(tag, mac.doFinal(envelope))) {
            throw new RefusedFrame("a message that failed authentication (HMAC); is the shared secret the same on"
                    + " every node?");
        }
        try {
            return PaxosWire.decode(ByteBuffer.wrap(envelope));
        } catch (PaxosWire.MalformedMessageException e) {
            throw new RefusedFrame("an authenticated but malformed message: " + e.getMessage());
        }
    }

    private static final class RefusedFrame extends Exception {
        RefusedFrame(String message) {
            super(message);
        }
    }

    // ------------------------------------------------------------------ server

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
            if (connections.incrementAndGet() > MAX_CONNECTIONS) {
                connections.decrementAndGet();
                LOG.warn("Paxos server of node {} refused a connection from {}: {} connections open already",
                        cluster.self(), socket.getRemoteSocketAddress(), MAX_CONNECTIONS);
                closeQuietly(socket);
                continue;
            }
            serverSockets.add(socket);
            Thread t = new Thread(() -> serve(socket), "quorumtx-paxos-conn-" + cluster.self());
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(Socket socket) {
        Object writeLock = new Object();
        try (socket) {
            socket.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
            Mac readMac = mac();
            Mac writeMac = mac();
            String peer = null;
            if (tls != null) {
                try {
                    peer = tls.authenticateAsServer(socket);
                } catch (TlsSecurity.TlsRefusal refused) {
                    LOG.warn("Paxos server of node {} refused a TLS connection: {}", cluster.self(),
                            refused.getMessage());
                    return;
                }
            }
            while (!closed) {
                PaxosWire.Envelope e;
                try {
                    e = readFrame(in, readMac);
                } catch (RefusedFrame refused) {
                    LOG.warn("Paxos server of node {} refused {} from {}; connection closed, nothing changed",
                            cluster.self(), refused.getMessage(), socket.getRemoteSocketAddress());
                    return;
                }
                String problem = checkIncoming(e);
                if (problem == null && peer != null) {
                    problem = TlsSecurity.senderProblem(peer, e.from());
                }
                if (problem != null) {
                    LOG.warn("Paxos server of node {} refused a message from {} ({}): {}; connection closed, nothing"
                            + " changed", cluster.self(), e.from(), socket.getRemoteSocketAddress(), problem);
                    return;
                }
                if (e.membersDigest() != digest) {
                    if (mismatchLogged.putIfAbsent(e.from(), Boolean.TRUE) == null) {
                        LOG.error("Node {} sent a Paxos message with another member list than this node's {}: every"
                                + " node must list the same members; its requests are refused", e.from(),
                                cluster.describeMembers());
                    }
                    reply(out, writeMac, writeLock, e, new PaxosMessage.Error("member lists differ: node "
                            + cluster.self() + " has " + cluster.describeMembers() + "; every node must list the same"
                            + " members"));
                    continue;
                }
                acceptor.handle(e.from(), e.message()).thenAccept(r -> reply(out, writeMac, writeLock, e, r));
            }
        } catch (EOFException | SocketException e) {
            // peer went away
        } catch (IOException e) {
            LOG.debug("Paxos connection to node {} failed: {}", cluster.self(), e.toString());
        } finally {
            serverSockets.remove(socket);
            connections.decrementAndGet();
        }
    }

    private String checkIncoming(PaxosWire.Envelope e) {
        if (!cluster.self().equals(e.to())) {
            return "addressed to node '" + e.to() + "', not this node";
        }
        if (!cluster.isKnownSender(e.from())) {
            return "sender '" + e.from() + "' is not a member " + cluster.members().keySet();
        }
        if (e.message() instanceof PaxosMessage.Renew r && !r.nodeId().equals(e.from())) {
            return "a lease renewal for another node ('" + r.nodeId() + "')";
        }
        return null;
    }

    private void reply(DataOutputStream out, Mac mac, Object lock, PaxosWire.Envelope request, PaxosMessage message) {
        byte[] envelope = PaxosWire.encode(new PaxosWire.Envelope(digest, cluster.self(), request.from(),
                request.requestId(), message));
        synchronized (lock) {
            try {
                writeFrame(out, mac, envelope);
            } catch (IOException e) {
                LOG.debug("Could not answer node {}: {}", request.from(), e.toString());
            }
        }
    }

    // ------------------------------------------------------------------ client

    /** The connection to one peer, reopened with back-off after a failure. */
    private final class Peer {
        private final String id;
        private final InetSocketAddress address;
        private final ConcurrentMap<Long, CompletableFuture<PaxosMessage>> pending = new ConcurrentHashMap<>();
        private Socket socket;
        private DataOutputStream out;
        private Mac writeMac;
        private long nextId = 1;
        private long retryAtNanos;
        private long backoffMillis = MIN_BACKOFF_MILLIS;
        private String lastFailure = "";

        Peer(String id, InetSocketAddress address) {
            this.id = id;
            this.address = address;
        }

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
                byte[] envelope = PaxosWire.encode(new PaxosWire.Envelope(digest, cluster.self(), id, requestId,
                        message));
                try {
                    writeFrame(out, writeMac, envelope);
                } catch (IOException e) {
                    disconnect(e);
                    return reply;
                }
            }
            reply.orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((r, t) -> pending.remove(requestId));
            return reply;
        }

        /** Caller holds this peer's lock. */
        private void connect() throws IOException {
            if (socket != null) {
                return;
            }
            long now = System.nanoTime();
            if (now < retryAtNanos) {
                throw new IOException("node " + id + " at " + address.getHostString() + ":" + address.getPort()
                        + " is unreachable (" + lastFailure + "); next attempt in "
                        + TimeUnit.NANOSECONDS.toMillis(retryAtNanos - now) + " ms");
            }
            Socket s = tls == null ? new Socket() : tls.newClientSocket();
            try {
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress(address.getHostString(), address.getPort()),
                        (int) connectTimeout.toMillis());
                if (tls != null) {
                    tls.authenticateAsClient(s, id);
                }
            } catch (TlsSecurity.TlsRefusal e) {
                closeQuietly(s);
                LOG.warn("Paxos client of node {} refused the connection to node {}: {}", cluster.self(), id,
                        e.getMessage());
                lastFailure = e.getMessage();
                retryAtNanos = now + TimeUnit.MILLISECONDS.toNanos(backoffMillis);
                backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
                throw new IOException("node " + id + " at " + address.getHostString() + ":" + address.getPort()
                        + ": " + e.getMessage(), e);
            } catch (IOException e) {
                closeQuietly(s);
                lastFailure = e.getMessage();
                retryAtNanos = now + TimeUnit.MILLISECONDS.toNanos(backoffMillis);
                backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
                throw new IOException("cannot connect to node " + id + " at " + address.getHostString() + ":"
                        + address.getPort() + ": " + e.getMessage(), e);
            }
            socket = s;
            out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 64 * 1024));
            writeMac = mac();
            backoffMillis = MIN_BACKOFF_MILLIS;
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 64 * 1024));
            Thread reader = new Thread(() -> read(s, in), "quorumtx-paxos-client-" + cluster.self() + "-" + id);
            reader.setDaemon(true);
            reader.start();
        }

        private void read(Socket s, DataInputStream in) {
            Mac readMac = mac();
            try {
                while (true) {
                    PaxosWire.Envelope e = readFrame(in, readMac);
                    if (!id.equals(e.from()) || !cluster.self().equals(e.to())) {
                        throw new RefusedFrame("a reply from '" + e.from() + "' to '" + e.to() + "' on the connection"
                                + " to node " + id);
                    }
                    if (e.message() instanceof PaxosMessage.Error err && err.message().startsWith("member lists")) {
                        LOG.error("Node {} refused this node's Paxos messages: {}", id, err.message());
                    }
                    CompletableFuture<PaxosMessage> f = pending.remove(e.requestId());
                    if (f != null) {
                        f.complete(e.message());
                    }
                }
            } catch (RefusedFrame refused) {
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
                                ? new IOException("node " + id + " closed the connection (wrong shared secret, a"
                                + " restart, or it refused a message; see its log)")
                                : e);
                    }
                }
            }
        }

        /** Caller holds this peer's lock. */
        private void disconnect(IOException cause) {
            if (socket != null) {
                closeQuietly(socket);
                socket = null;
                out = null;
                lastFailure = cause.getMessage();
                retryAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MIN_BACKOFF_MILLIS);
            }
            fail(cause);
        }

        void fail(IOException cause) {
            List<CompletableFuture<PaxosMessage>> all = new ArrayList<>(pending.values());
            pending.clear();
            for (CompletableFuture<PaxosMessage> f : all) {
                f.completeExceptionally(cause);
            }
            if (closed) {
                synchronized (this) {
                    if (socket != null) {
                        closeQuietly(socket);
                        socket = null;
                    }
                }
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            LOG.debug("Closing a Paxos socket failed: {}", e.toString());
        }
    }
}
