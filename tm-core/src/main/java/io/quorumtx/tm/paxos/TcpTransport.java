package io.quorumtx.tm.paxos;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Paxos messages over TCP between the members of a {@link ClusterConfig}. A connection has two
 * phases:
 *
 * <ol>
 *   <li><b>Authentication</b> by the {@link ConnectionSecurity} (the shared-secret
 *       {@link HmacChallenge} by default): bounded messages of a few hundred bytes, a short read
 *       timeout and deadline, a cap of its own on the server ({@link TransportServer}); it yields a
 *       {@link Session} naming the authenticated peer and a fresh per-connection key.</li>
 *   <li><b>Established</b>: envelopes ({@link PaxosWire}) in frames with per-direction sequence
 *       numbers and MACs under the session key ({@link FrameChannel}), so a frame replayed on
 *       another connection or later on the same one is refused.</li>
 * </ol>
 *
 * <p>Server side (a node with an acceptor, {@link TransportServer}): a frame that fails
 * authentication or its sequence number, does not parse, is addressed to another node, or names
 * another node than the authenticated one (sender, ballots, lease renewals) is logged and its
 * connection closed; it never reaches the acceptor. A sender whose member list differs (digest in
 * every envelope) gets an authenticated error and is logged.
 *
 * <p>Client side ({@link PeerConnection}): one connection per peer, requests multiplexed by id,
 * each with a timeout, reopened with back-off after a failure.
 *
 * <p>Read timeouts: the handshake {@link #HANDSHAKE_TIMEOUT} (at most the request timeout); an
 * established connection without traffic is closed after {@link #idleTimeout} by its client, after
 * twice that by the server. Idle close rather than heartbeats: members renew their leases every
 * third of a lease, so their connections are never idle, the recovery tool's connections are
 * short, and closing costs only one handshake round trip on the next send; no extra message kind.
 *
 * <p>Confidentiality is not provided in the shared-secret mode (the messages hold transaction ids
 * and resource names, not data); see README "Threat model". The TLS mode ({@link TlsSettings},
 * {@link TlsSecurity}) encrypts, and names each peer by its certificate.
 */
final class TcpTransport implements PaxosTransport {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);
    /** Longest a connecting peer may take to authenticate (read timeout and total deadline). */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration MIN_IDLE = Duration.ofSeconds(30);

    private final ClusterConfig cluster;
    private final ConnectionSecurity security;
    private final Duration requestTimeout;
    private final TransportServer server;
    private final ConcurrentMap<String, PeerConnection> peers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private TcpTransport(ClusterConfig cluster, Acceptor acceptor, Duration requestTimeout,
                         ConnectionSecurity security) throws IOException {
        this.cluster = cluster;
        this.security = security;
        this.requestTimeout = requestTimeout;
        Duration handshake = requestTimeout.compareTo(HANDSHAKE_TIMEOUT) < 0 ? requestTimeout : HANDSHAKE_TIMEOUT;
        this.server = acceptor == null ? null
                : new TransportServer(cluster, security, acceptor, handshake, idleTimeout(requestTimeout).multipliedBy(2));
    }

    /** How long a client keeps a connection without traffic: 30 s, or four request timeouts if longer. */
    static Duration idleTimeout(Duration requestTimeout) {
        Duration four = requestTimeout.multipliedBy(4);
        return four.compareTo(MIN_IDLE) > 0 ? four : MIN_IDLE;
    }

    /** A member's transport: serves its acceptor on its own address and sends to the others. */
    static TcpTransport serve(ClusterConfig cluster, Acceptor acceptor, Duration requestTimeout)
            throws IOException {
        return serve(cluster, acceptor, requestTimeout, new HmacChallenge(cluster));
    }

    /** A member's transport with another security mode (TLS). */
    static TcpTransport serve(ClusterConfig cluster, Acceptor acceptor, Duration requestTimeout,
                              ConnectionSecurity security) throws IOException {
        return new TcpTransport(cluster, acceptor, requestTimeout, security);
    }

    /**
     * A member's transport over TLS 1.3 with mutual authentication ({@link TlsSettings},
     * {@link TlsSecurity}): its certificate must name {@code cluster.self()}; the secret of
     * {@code cluster} is not used.
     *
     * @throws IllegalArgumentException naming the store or certificate that is wrong
     */
    static TcpTransport serve(ClusterConfig cluster, TlsSettings tls, Acceptor acceptor, Duration requestTimeout)
            throws IOException {
        return serve(cluster, acceptor, requestTimeout, TlsSecurity.create(tls, cluster, true));
    }

    /**
     * A client-only transport over TLS (the recovery tool): its certificate names its id, which
     * starts with {@value ClusterConfig#TOOL_PREFIX} and is {@code cluster.self()}; the secret of
     * {@code cluster} is not used.
     */
    static TcpTransport client(ClusterConfig cluster, TlsSettings tls, Duration requestTimeout)
            throws IOException {
        return client(cluster, requestTimeout, TlsSecurity.create(tls, cluster, false));
    }

    /** A client-only transport (the recovery tool): sends, serves nothing. */
    static TcpTransport client(ClusterConfig cluster, Duration requestTimeout) throws IOException {
        return client(cluster, requestTimeout, new HmacChallenge(cluster));
    }

    /** A client-only transport with another security mode (TLS). */
    static TcpTransport client(ClusterConfig cluster, Duration requestTimeout, ConnectionSecurity security)
            throws IOException {
        return new TcpTransport(cluster, null, requestTimeout, security);
    }

    /** The server side, or null for a client-only transport (tests). */
    TransportServer server() {
        return server;
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
        return peers.computeIfAbsent(to, id -> new PeerConnection(cluster, security, id, address, requestTimeout,
                idleTimeout(requestTimeout))).send(message);
    }

    @Override
    public void close() {
        closed = true;
        if (server != null) {
            server.close();
        }
        for (PeerConnection p : peers.values()) {
            p.close(new IOException("transport closed"));
        }
    }

    static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            LOG.debug("Closing a Paxos socket failed: {}", e.toString());
        }
    }
}
