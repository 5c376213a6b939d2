package io.quorumtx.tm.paxos;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The shared-secret mode: a challenge-response that binds both ends' fresh random nonces into
 * the connection's session key, so nothing recorded from one connection is accepted on another.
 *
 * <pre>
 * client hello  = magic "QTXH" version:int8 keyId:8 clientId:str serverId:str nonceC:32
 * server answer = nonceS:32 HMAC(K, "server" | clientId | serverId | nonceC | nonceS)
 * client proof  = HMAC(K, "client" | clientId | serverId | nonceC | nonceS)
 * session key   = HKDF-SHA256(ikm K, salt nonceC|nonceS, info "quorumtx-paxos-session-v1"|clientId|serverId)
 * each message  = length:uint16 (at most {@value #MAX_HANDSHAKE_BYTES}) body
 * </pre>
 *
 * The server proves the secret first (a client never sends its proof to an impostor), the client
 * second; the session key keys the per-frame MACs of {@link FrameChannel}. {@code keyId} is a
 * fingerprint of the secret the client uses ({@code HMAC(K, "quorumtx-key-id")}, 8 bytes, reveals
 * nothing of K): during a rotation the server accepts the current and the rotation secrets of its
 * {@link ClusterConfig} and answers under the one the client named. Before the client's proof,
 * the server has read at most two messages of {@value #MAX_HANDSHAKE_BYTES} bytes.
 *
 * <p>A client connects with the current secret; if a server closes the connection before
 * answering (it does not know that secret) and a previous/next secret is configured, the next
 * attempt to that server uses the next one (at once: {@link #attemptsPerConnect}), so a node or the recovery tool configured with both
 * secrets reaches members on either side of a rotation step.
 */
final class HmacChallenge implements ConnectionSecurity {
    static final int MAX_HANDSHAKE_BYTES = 256;
    private static final int MAGIC = 0x51545848; // "QTXH"
    private static final byte VERSION = 1;
    private static final int NONCE_BYTES = 32;
    private static final int KEY_ID_BYTES = 8;
    private static final int MAX_ID_BYTES = 64;

    @SuppressWarnings("ArrayRecordComponent") // a private pair, never compared or hashed
    private record Key(SecretKey key, byte[] id) {
    }

    private final ClusterConfig cluster;

    private final List<Key> accepted = new ArrayList<>();
    private final SecureRandom random = new SecureRandom();
    /** Per server, the index in {@link #accepted} of the secret to connect with next (0: the current). */
    private final java.util.concurrent.ConcurrentMap<String, Integer> connectWith =
            new java.util.concurrent.ConcurrentHashMap<>();

    HmacChallenge(ClusterConfig cluster) {
        this.cluster = cluster;
        accepted.add(key(cluster.secret())); // index 0: the current secret, the one to connect with
        for (byte[] other : cluster.rotationSecrets()) {
            accepted.add(key(other));
        }
    }

    private static Key key(byte[] secret) {
        SecretKey k = new SecretKeySpec(secret, "HmacSHA256");
        byte[] id = new byte[KEY_ID_BYTES];
        System.arraycopy(hmac(k, "quorumtx-key-id".getBytes(StandardCharsets.US_ASCII)), 0, id, 0, KEY_ID_BYTES);
        return new Key(k, id);
    }

    /** One attempt per configured secret: a refused one switches to the next (see the class comment). */
    @Override
    public int attemptsPerConnect() {
        return accepted.size();
    }

    @Override
    public ServerSocket openServerSocket(InetSocketAddress address) throws IOException {
        return ConnectionSecurity.bind(new ServerSocket(), address);
    }

    @Override
    public Socket connect(InetSocketAddress address, Duration timeout) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(address, (int) timeout.toMillis());
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    @Override
    public Session authenticateAsClient(Socket socket, String serverId) throws IOException, Refused {
        String clientId = cluster.self();
        int index = connectWith.getOrDefault(serverId, 0);
        Key key = accepted.get(index);
        byte[] nonceC = nonce();
        ByteBuffer hello = ByteBuffer.allocate(MAX_HANDSHAKE_BYTES);
        hello.putInt(MAGIC).put(VERSION).put(key.id());
        putId(hello, clientId);
        putId(hello, serverId);
        hello.put(nonceC);
        OutputStream out = socket.getOutputStream();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        send(out, hello);
        ByteBuffer answer;
        try {
            answer = receive(in, "node " + serverId);
        } catch (EOFException refused) {
            if (accepted.size() > 1) {
                // During a rotation the server may not know this secret yet (or any more): the next
                // attempt (after the back-off) tries the next configured secret.
                connectWith.put(serverId, (index + 1) % accepted.size());
                throw new EOFException(refused.getMessage() + "; the next attempt uses the "
                        + (index + 1 == accepted.size() ? "current" : "previous/next") + " secret");
            }
            throw refused;
        }
        if (answer.remaining() != NONCE_BYTES + 32) {
            throw new Refused("node " + serverId + " answered the handshake with " + answer.remaining() + " bytes");
        }
        byte[] nonceS = new byte[NONCE_BYTES];
        answer.get(nonceS);
        byte[] serverTag = new byte[32];
        answer.get(serverTag);
        byte[] transcript = transcript(clientId, serverId, nonceC, nonceS);
        if (!MessageDigest.isEqual(serverTag, hmac(key.key(), "server", transcript))) {
            throw new Refused("node " + serverId + " did not prove it knows the shared secret (is the secret the same"
                    + " on every node, or is something else listening on its port?)");
        }
        send(out, ByteBuffer.wrap(hmac(key.key(), "client", transcript)).position(32));
        return new Session(serverId, sessionKey(key.key(), clientId, serverId, nonceC, nonceS));
    }

    @Override
    public Session authenticateAsServer(Socket socket) throws IOException, Refused {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        ByteBuffer hello = receive(in, "a client");
        String clientId;
        String serverId;
        byte[] keyId = new byte[KEY_ID_BYTES];
        byte[] nonceC = new byte[NONCE_BYTES];
        try {
            if (hello.getInt() != MAGIC || hello.get() != VERSION) {
                throw new Refused("a connection that is not a QuorumTX Paxos handshake (version " + VERSION + ")");
            }
            hello.get(keyId);
            clientId = getId(hello);
            serverId = getId(hello);
            hello.get(nonceC);
        } catch (java.nio.BufferUnderflowException e) {
            throw new Refused("a truncated handshake");
        }
        if (hello.hasRemaining()) {
            throw new Refused("a handshake with " + hello.remaining() + " trailing byte(s)");
        }
        if (!cluster.self().equals(serverId)) {
            throw new Refused("a handshake from '" + clientId + "' for node '" + serverId + "', not this node");
        }
        if (!cluster.isKnownSender(clientId)) {
            throw new Refused("a handshake from '" + clientId + "', which is neither a member "
                    + cluster.members().keySet() + " nor the recovery tool");
        }
        Key key = null;
        for (Key k : accepted) {
            if (MessageDigest.isEqual(k.id(), keyId)) {
                key = k;
            }
        }
        if (key == null) {
            throw new Refused("a handshake from '" + clientId + "' under a secret this node does not accept (key id "
                    + HexFormat.of().formatHex(keyId) + "; this node accepts " + describeAccepted()
                    + "): set the same secret, or add it as the previous/next secret during a rotation");
        }
        byte[] nonceS = nonce();
        byte[] transcript = transcript(clientId, serverId, nonceC, nonceS);
        ByteBuffer answer = ByteBuffer.allocate(NONCE_BYTES + 32).put(nonceS).put(hmac(key.key(), "server", transcript));
        OutputStream out = socket.getOutputStream();
        send(out, answer);
        ByteBuffer proof = receive(in, "'" + clientId + "'");
        byte[] clientTag = new byte[proof.remaining()];
        proof.get(clientTag);
        if (!MessageDigest.isEqual(clientTag, hmac(key.key(), "client", transcript))) {
            throw new Refused("a handshake from '" + clientId + "' whose proof failed (a replayed handshake, or a"
                    + " client without the secret)");
        }
        return new Session(clientId, sessionKey(key.key(), clientId, serverId, nonceC, nonceS));
    }

    private String describeAccepted() {
        StringBuilder text = new StringBuilder();
        for (Key k : accepted) {
            text.append(text.length() == 0 ? "" : ", ").append(HexFormat.of().formatHex(k.id()));
        }
        return text.toString();
    }

    private byte[] nonce() {
        byte[] n = new byte[NONCE_BYTES];
        random.nextBytes(n);
        return n;
    }

    @SuppressWarnings("ByteBufferBackingArray") // every caller passes a heap buffer allocated or wrapped whole (offset 0)
    private static void send(OutputStream out, ByteBuffer body) throws IOException {
        int length = body.position();
        byte[] message = new byte[2 + length];
        message[0] = (byte) (length >>> 8);
        message[1] = (byte) length;
        System.arraycopy(body.array(), 0, message, 2, length);
        out.write(message); // one write: one segment on the wire
        out.flush();
    }

    /** One handshake message: its length is checked against the bound before anything is allocated. */
    private static ByteBuffer receive(DataInputStream in, String peer) throws IOException, Refused {
        int length;
        try {
            length = in.readUnsignedShort();
        } catch (EOFException e) {
            throw new EOFException(peer + " closed the connection during the handshake (wrong shared secret, or it"
                    + " refused this node; see its log)");
        }
        if (length < 1 || length > MAX_HANDSHAKE_BYTES) {
            throw new Refused("a handshake message of " + length + " bytes from " + peer + " (1 to "
                    + MAX_HANDSHAKE_BYTES + ")");
        }
        byte[] body = new byte[length];
        try {
            in.readFully(body);
        } catch (EOFException e) {
            throw new EOFException(peer + " closed the connection in the middle of a handshake message (" + length
                    + " bytes announced)");
        }
        return ByteBuffer.wrap(body);
    }

    private static void putId(ByteBuffer out, String id) {
        byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_ID_BYTES) {
            throw new IllegalArgumentException("node id '" + id + "' is longer than " + MAX_ID_BYTES + " bytes");
        }
        out.put((byte) bytes.length).put(bytes);
    }

    private static String getId(ByteBuffer in) throws Refused {
        int length = in.get() & 0xff;
        if (length < 1 || length > MAX_ID_BYTES) {
            throw new Refused("a handshake with a node id of " + length + " bytes (1 to " + MAX_ID_BYTES + ")");
        }
        byte[] bytes = new byte[length];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] transcript(String clientId, String serverId, byte[] nonceC, byte[] nonceS) {
        ByteBuffer t = ByteBuffer.allocate(2 + 2 * MAX_ID_BYTES + 2 * NONCE_BYTES);
        putId(t, clientId);
        putId(t, serverId);
        t.put(nonceC).put(nonceS);
        byte[] bytes = new byte[t.position()];
        System.arraycopy(t.array(), 0, bytes, 0, bytes.length);
        return bytes;
    }

    private static byte[] hmac(SecretKey key, String label, byte[] transcript) {
        byte[] l = label.getBytes(StandardCharsets.US_ASCII);
        byte[] data = new byte[l.length + 1 + transcript.length];
        System.arraycopy(l, 0, data, 0, l.length);
        System.arraycopy(transcript, 0, data, l.length + 1, transcript.length);
        return hmac(key, data);
    }

    private static byte[] hmac(SecretKey key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
        }
    }

    /** HKDF-SHA256 (RFC 5869), one output block: extract with both nonces as salt, expand with the ids. */
    private static SecretKey sessionKey(SecretKey secret, String clientId, String serverId, byte[] nonceC,
                                        byte[] nonceS) {
        byte[] salt = new byte[2 * NONCE_BYTES];
        System.arraycopy(nonceC, 0, salt, 0, NONCE_BYTES);
        System.arraycopy(nonceS, 0, salt, NONCE_BYTES, NONCE_BYTES);
        byte[] prk = hmac(new SecretKeySpec(salt, "HmacSHA256"), secret.getEncoded());
        byte[] info = ("quorumtx-paxos-session-v1|" + clientId + "|" + serverId).getBytes(StandardCharsets.UTF_8);
        byte[] block = new byte[info.length + 1];
        System.arraycopy(info, 0, block, 0, info.length);
        block[info.length] = 1;
        return new SecretKeySpec(hmac(new SecretKeySpec(prk, "HmacSHA256"), block), "HmacSHA256");
    }
}
