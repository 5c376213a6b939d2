package io.quorumtx.tm.paxos;

import io.quorumtx.tm.xid.NodeIds;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS 1.3 with mutual authentication, the {@link ConnectionSecurity} of {@link TcpTransport}'s
 * TLS mode: the {@link SSLContext} built from {@link TlsSettings}, the server and client
 * sockets, and the peer's node id taken from its certificate. Its {@link Session} has no frame
 * key: TLS authenticates and encrypts every record, and {@link FrameChannel} still numbers the
 * frames.
 *
 * <p>Model: the truststore names the cluster's CA; a certificate it signed names a node id in
 * its subject CN ({@link #nodeIdOf}). Host names are deliberately not verified (no endpoint
 * identification): members are addressed by node id and the CN is that id. So after the
 * handshake a server accepts a peer whose id is a member, or a recovery tool
 * ({@value ClusterConfig#TOOL_PREFIX}...); a client accepts only the member it dialled. No shared
 * secret is involved, so one member's key cannot speak for another: the transport binds every
 * envelope's sender, ballot and lease renewal to {@link Session#peerNodeId()}.
 *
 * <p>Before the peer is authenticated JSSE reads the handshake's records (a ClientHello, a
 * certificate chain: a few KiB, each record at most 16 KiB, into JSSE's own fixed-size buffers);
 * the transport's read timeout, deadline and cap on unauthenticated connections bound them.
 *
 * <p>Only TLSv1.3 is enabled, with its AEAD suites (AES-GCM, ChaCha20-Poly1305). A certificate
 * refused during the handshake (untrusted issuer, expired, not yet valid) is refused by
 * {@link NamingTrustManager} with a message naming its subject, issuer and serial.
 */
final class TlsSecurity implements ConnectionSecurity {
    static final String PROTOCOL = "TLSv1.3";
    private static final String[] CIPHER_SUITES = {
        "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"};

    private final ClusterConfig cluster;
    private final SSLContext context;

    private TlsSecurity(ClusterConfig cluster, SSLContext context) {
        this.cluster = cluster;
        this.context = context;
    }

    /**
     * The TLS side of a member's or the tool's transport. Its own certificate must name
     * {@code cluster.self()}; the tool's self is an id starting with {@value ClusterConfig#TOOL_PREFIX}.
     *
     * @throws IllegalArgumentException naming the file or certificate that is wrong
     */
    static TlsSecurity create(TlsSettings settings, ClusterConfig cluster, boolean member) {
        KeyStore keys = TlsStores.keyStore(settings.keyStore());
        KeyStore trust = TlsStores.trustStore(settings.trustStore());
        X509Certificate own = ownCertificate(keys, settings);
        String ownId = idOf(own, "this node's certificate in " + settings.keyStore());
        if (!ownId.equals(cluster.self())) {
            throw new IllegalArgumentException("tls: the certificate in keystore " + settings.keyStore() + " ("
                    + describe(own) + ") names node '" + ownId + "', but this node is '" + cluster.self() + "'; each"
                    + " member needs a certificate whose CN is its own node id");
        }
        try {
            own.checkValidity();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("tls: this node's certificate (" + describe(own) + ") in keystore "
                    + settings.keyStore() + " is not valid now (valid " + own.getNotBefore() + " to "
                    + own.getNotAfter() + "); renew it", e);
        }
        if (!member && !cluster.self().startsWith(ClusterConfig.TOOL_PREFIX)) {
            throw new IllegalArgumentException("tls: a client-only transport runs under a recovery-tool id ("
                    + ClusterConfig.TOOL_PREFIX + "...), not '" + cluster.self() + "'");
        }
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, TlsStores.keyPassword(settings.keyStore()));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            X509ExtendedTrustManager pkix = null;
            for (var tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    pkix = x;
                }
            }
            SSLContext context = SSLContext.getInstance(PROTOCOL);
            context.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {new NamingTrustManager(pkix)}, null);
            return new TlsSecurity(cluster, context);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("tls: cannot set up TLS from " + settings + ": " + e.getMessage()
                    + " (is the keystore's key password its store password?)", e);
        }
    }

    /** A bound server socket that speaks only TLSv1.3 and requires a client certificate. */
    @Override
    public ServerSocket openServerSocket(InetSocketAddress address) throws IOException {
        SSLServerSocket s = (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
        SSLParameters p = parameters();
        p.setNeedClientAuth(true);
        s.setSSLParameters(p);
        return ConnectionSecurity.bind(s, address);
    }

    /** A connected client socket that speaks only TLSv1.3 and presents this node's certificate. */
    @Override
    public Socket connect(InetSocketAddress address, Duration timeout) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket();
        try {
            s.setSSLParameters(parameters());
            s.setTcpNoDelay(true);
            s.connect(address, (int) timeout.toMillis());
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private SSLParameters parameters() {
        SSLParameters p = context.getDefaultSSLParameters();
        p.setProtocols(new String[] {PROTOCOL});
        p.setCipherSuites(CIPHER_SUITES);
        p.setEndpointIdentificationAlgorithm(null); // the CN names the node; see the class comment
        return p;
    }

    /**
     * Runs the handshake of an accepted connection and returns the peer's node id: a member or
     * a recovery tool.
     *
     * @throws Refused naming the peer's certificate and why, when it is refused
     */
    @Override
    public Session authenticateAsServer(Socket socket) throws Refused {
        SSLSession session = handshake(socket);
        X509Certificate peer = peerCertificate(session);
        String id = peerId(peer);
        if (!cluster.members().containsKey(id) && !id.startsWith(ClusterConfig.TOOL_PREFIX)) {
            throw new Refused("a TLS connection with " + describe(peer) + ": it names node '" + id + "', which is not a member " + cluster.members().keySet() + " nor a"
                    + " recovery tool (" + ClusterConfig.TOOL_PREFIX + "...)");
        }
        return new Session(id, null);
    }

    /**
     * Runs the handshake of a connection this node opened to member {@code expected}.
     *
     * @throws Refused when the server's certificate names another node, or the handshake fails
     */
    @Override
    public Session authenticateAsClient(Socket socket, String expected) throws Refused {
        SSLSession session = handshake(socket);
        X509Certificate peer = peerCertificate(session);
        String id = peerId(peer);
        if (!id.equals(expected)) {
            throw new Refused("a TLS connection with " + describe(peer) + " at " + socket.getRemoteSocketAddress()
                    + ": this node dialled member '" + expected + "' but the certificate names '" + id + "'");
        }
        return new Session(id, null);
    }

    /** The node id this node's own certificate names (its keystore's one key entry). */
    static String ownNodeId(TlsSettings settings) {
        X509Certificate own = ownCertificate(TlsStores.keyStore(settings.keyStore()), settings);
        return idOf(own, "the certificate in keystore " + settings.keyStore());
    }

    /** The transport has set the socket's read timeout (see {@link ConnectionSecurity}). */
    private static SSLSession handshake(Socket socket) throws Refused {
        SSLSocket ssl = (SSLSocket) socket;
        try {
            ssl.startHandshake();
            SSLSession session = ssl.getSession();
            if (!PROTOCOL.equals(session.getProtocol())) {
                throw new Refused("a TLS connection using " + session.getProtocol() + ", not " + PROTOCOL);
            }
            return session;
        } catch (SSLException e) {
            throw new Refused("a TLS connection (handshake failed: " + NamingTrustManager.reason(e) + ")");
        } catch (IOException e) {
            throw new Refused("a TLS connection (handshake failed: " + e + ")");
        }
    }

    private static X509Certificate peerCertificate(SSLSession session) throws Refused {
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length > 0 && chain[0] instanceof X509Certificate x) {
                return x;
            }
        } catch (SSLPeerUnverifiedException e) {
            // falls through
        }
        throw new Refused("a TLS connection whose peer presented no X.509 certificate");
    }

    private static String peerId(X509Certificate peer) throws Refused {
        try {
            return idOf(peer, "the peer's certificate");
        } catch (IllegalArgumentException e) {
            throw new Refused("a TLS connection: " + e.getMessage());
        }
    }

    /** The node id a TLS session's peer certificate names (its subject CN). */
    static String nodeIdOf(SSLSession session) throws Refused {
        try {
            Certificate[] chain = session.getPeerCertificates();
            return idOf((X509Certificate) chain[0], "the peer certificate");
        } catch (IllegalArgumentException e) {
            throw new Refused("a TLS connection: " + e.getMessage());
        } catch (SSLPeerUnverifiedException e) {
            throw new Refused("a TLS connection whose peer is not authenticated: " + e.getMessage());
        }
    }

    private static String idOf(X509Certificate certificate, String what) throws IllegalArgumentException {
        List<String> names = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    names.add(String.valueOf(rdn.getValue()));
                }
            }
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException(what + " (" + describe(certificate) + ") has a subject that does not"
                    + " parse: " + e.getMessage(), e);
        }
        if (names.size() != 1 || !NodeIds.isValid(names.get(0))) {
            throw new IllegalArgumentException(what + " (" + describe(certificate) + ") must name one node id in its"
                    + " subject CN (1 to " + NodeIds.MAX_LENGTH + " characters of [A-Za-z0-9_-]); it has CN " + names);
        }
        return names.get(0);
    }

    private static X509Certificate ownCertificate(KeyStore keys, TlsSettings settings) {
        try {
            for (String alias : Collections.list(keys.aliases())) {
                if (keys.isKeyEntry(alias) && keys.getCertificate(alias) instanceof X509Certificate x) {
                    return x;
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("tls: cannot read keystore " + settings.keyStore() + ": "
                    + e.getMessage(), e);
        }
        throw new IllegalArgumentException("tls: the private key in keystore " + settings.keyStore() + " has no X.509"
                + " certificate");
    }

    /** {@code certificate subject=..., issuer=..., serial=...} for messages. */
    static String describe(X509Certificate c) {
        return "certificate subject='" + c.getSubjectX500Principal().getName() + "', issuer='"
                + c.getIssuerX500Principal().getName() + "', serial=" + c.getSerialNumber().toString(16);
    }

}
