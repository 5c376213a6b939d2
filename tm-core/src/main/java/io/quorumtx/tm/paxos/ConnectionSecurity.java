package io.quorumtx.tm.paxos;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

/**
 * How the replicated log's connections are opened and authenticated: the one pluggable step
 * between TCP and the framed, sequenced message stream ({@link FrameChannel}).
 *
 * <p>{@link HmacChallenge} is the shared-secret mode (a challenge-response over both ends' fresh
 * nonces, then per-frame HMACs under a session key). A TLS mode returns SSL sockets from the two
 * {@code open} methods, takes the peer's node id from its certificate, and returns a
 * {@link Session} without a frame key.
 *
 * <p>Contract, for every implementation: {@code authenticateAs*} reads at most a few hundred
 * bytes before the peer is authenticated and allocates nothing sized by the peer; the transport
 * sets a short read timeout on the socket before calling it and closes any connection whose
 * authentication runs past its deadline, so an implementation need not enforce a total time.
 * On failure it throws {@link Refused} (the reason, never a secret) or an {@link IOException}; the
 * transport closes the socket in both cases.
 */
interface ConnectionSecurity {

    /** A server socket bound to {@code address} (reuse-address set), accepting this mode's connections. */
    ServerSocket openServerSocket(InetSocketAddress address) throws IOException;

    /** Binds {@code socket} to {@code address} (address reuse on), closing it if the bind fails. */
    static <S extends ServerSocket> S bind(S socket, InetSocketAddress address) throws IOException {
        socket.setReuseAddress(true);
        try {
            socket.bind(address);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        return socket;
    }

    /** A socket connected to {@code address} within {@code timeout}, TCP_NODELAY set. */
    Socket connect(InetSocketAddress address, Duration timeout) throws IOException;

    /**
     * Authenticates the connection this node opened to member {@code serverId} (this node's own id
     * is the configuration's) and returns the session; the peer id is {@code serverId}.
     */
    Session authenticateAsClient(Socket socket, String serverId) throws IOException, Refused;

    /** Authenticates a connection accepted by this member and returns who the client proved to be. */
    Session authenticateAsServer(Socket socket) throws IOException, Refused;

    /**
     * How many times a connection is opened and authenticated in a row before a failure counts:
     * more than 1 when the mode can try another credential after a refusal (a secret rotation).
     */
    default int attemptsPerConnect() {
        return 1;
    }

    /** A peer failed authentication; the message says why and what to check, and holds no secret. */
    final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }
}
