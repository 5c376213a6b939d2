package io.quorumtx.tm.paxos;

import io.quorumtx.tm.xid.NodeIds;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The members of a replicated log as {@code nodeId=host:port} and the shared secret their
 * connections are authenticated with, validated with messages that name the problem. The member
 * list must be the same on every node: its digest travels in every message and a node with
 * another list is refused.
 *
 * <p>{@code secret} is the current secret: this node proves it when it connects. During a
 * rotation, {@code rotationSecrets} holds the previous or the next secret, which this node also
 * accepts from connecting peers (never uses to connect); see README "Rotating the shared secret".
 */
@SuppressWarnings("ArrayRecordComponent") // a configuration value, never compared or used as a key; secrets stay byte[] so they can be wiped
public record ClusterConfig(String self, Map<String, InetSocketAddress> members, byte[] secret,
                            List<byte[]> rotationSecrets) {

    /** Shortest accepted secret: 16 bytes (128 bits) of HMAC-SHA256 key. */
    public static final int MIN_SECRET_BYTES = 16;

    public ClusterConfig {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(members, "members");
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(rotationSecrets, "rotationSecrets");
        members = java.util.Collections.unmodifiableMap(new TreeMap<>(members));
        secret = secret.clone();
        rotationSecrets = rotationSecrets.stream().map(byte[]::clone).toList();
        if (members.size() < 1) {
            throw new IllegalArgumentException("The replicated log needs at least one member");
        }
        if (members.size() % 2 == 0) {
            throw new IllegalArgumentException("The replicated log has " + members.size() + " members " + members.keySet()
                    + "; use an odd number (2F+1: 3 tolerate one failure, 5 tolerate two): an even number tolerates"
                    + " no more failures than one member fewer");
        }
        for (String id : members.keySet()) {
            if (!NodeIds.isValid(id)) {
                throw new IllegalArgumentException("Member id '" + id + "' is not a valid node id (1 to "
                        + NodeIds.MAX_LENGTH + " characters of [A-Za-z0-9_-])");
            }
        }
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("The replicated log's shared secret has " + secret.length + " byte(s);"
                    + " use at least " + MIN_SECRET_BYTES + " random bytes, the same on every node");
        }
        for (byte[] other : rotationSecrets) {
            if (other.length < MIN_SECRET_BYTES) {
                throw new IllegalArgumentException("The replicated log's previous/next secret has " + other.length
                        + " byte(s); use at least " + MIN_SECRET_BYTES + " random bytes");
            }
        }
    }

    /** A configuration without a rotation in progress: only {@code secret} is accepted. */
    public ClusterConfig(String self, Map<String, InetSocketAddress> members, byte[] secret) {
        this(self, members, secret, List.of());
    }

    /** This configuration also accepting {@code other} (the previous or the next secret) from peers. */
    public ClusterConfig withRotationSecret(byte[] other) {
        List<byte[]> all = new java.util.ArrayList<>(rotationSecrets);
        all.add(other);
        return new ClusterConfig(self, members, secret, all);
    }

    /** The configuration of member {@code self}, which runs one of the acceptors. */
    public static ClusterConfig forNode(String self, Map<String, InetSocketAddress> members, byte[] secret) {
        if (!members.containsKey(self)) {
            throw new IllegalArgumentException("This node '" + self + "' is not among the replicated log's members "
                    + new TreeMap<>(members).keySet() + "; every node runs an acceptor and must be listed");
        }
        return new ClusterConfig(self, members, secret);
    }

    /** Prefix of the ids the recovery tool proposes and reads under; acceptors answer them like members. */
    public static final String TOOL_PREFIX = "quorumtx-tool-";

    /** The configuration of the recovery tool: not a member, it reads and proposes under a tool id. */
    public static ClusterConfig forTool(Map<String, InetSocketAddress> members, byte[] secret) {
        return new ClusterConfig(newToolId(), members, secret);
    }

    /** A fresh id for one run of the recovery tool (a proposer id no member uses). */
    public static String newToolId() {
        return TOOL_PREFIX + Long.toString(System.nanoTime() & 0xffffffffL, 36);
    }

    /** True if messages from {@code sender} are accepted: a member, or the recovery tool. */
    public boolean isKnownSender(String sender) {
        return members.containsKey(sender) || sender.startsWith(TOOL_PREFIX);
    }

    /**
     * Parses {@code nodeId=host:port} entries.
     *
     * @throws IllegalArgumentException naming the entry that is wrong
     */
    public static Map<String, InetSocketAddress> parseMembers(List<String> entries) {
        Map<String, InetSocketAddress> members = new LinkedHashMap<>();
        for (String entry : entries) {
            String e = entry.strip();
            int eq = e.indexOf('=');
            int colon = e.lastIndexOf(':');
            if (eq <= 0 || colon <= eq + 1 || colon == e.length() - 1) {
                throw new IllegalArgumentException("Member '" + entry + "' is not of the form nodeId=host:port");
            }
            String id = e.substring(0, eq);
            String host = e.substring(eq + 1, colon);
            int port;
            try {
                port = Integer.parseInt(e.substring(colon + 1));
            } catch (NumberFormatException x) {
                throw new IllegalArgumentException("Member '" + entry + "' has a port that is not a number");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("Member '" + entry + "' has port " + port + "; use 1 to 65535");
            }
            if (members.put(id, InetSocketAddress.createUnresolved(host, port)) != null) {
                throw new IllegalArgumentException("Member '" + id + "' is listed twice");
            }
        }
        return members;
    }

    public int quorum() {
        return members.size() / 2 + 1;
    }

    /** The members as {@code id=host:port,...}, sorted by id. */
    public String describeMembers() {
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, InetSocketAddress> e : members.entrySet()) {
            if (text.length() > 0) {
                text.append(',');
            }
            text.append(e.getKey()).append('=').append(e.getValue().getHostString()).append(':')
                    .append(e.getValue().getPort());
        }
        return text.toString();
    }

    /** First 8 bytes of SHA-256 over the sorted {@code id=host:port} list. */
    public long membersDigest() {
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, InetSocketAddress> e : members.entrySet()) {
            text.append(e.getKey()).append('=').append(e.getValue().getHostString()).append(':')
                    .append(e.getValue().getPort()).append(',');
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (d[i] & 0xff);
            }
            return v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ClusterConfig c && c.self.equals(self) && c.members.equals(members)
                && Arrays.equals(c.secret, secret) && c.rotationSecrets.size() == rotationSecrets.size())) {
            return false;
        }
        for (int i = 0; i < rotationSecrets.size(); i++) {
            if (!Arrays.equals(c.rotationSecrets.get(i), rotationSecrets.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(self, members);
    }

    /** Never shows the secret. */
    @Override
    public String toString() {
        return "ClusterConfig[self=" + self + ", members=" + describeMembers() + ", secret=***"
                + (rotationSecrets.isEmpty() ? "" : ", rotation secrets=" + rotationSecrets.size() + " (***)") + "]";
    }
}
