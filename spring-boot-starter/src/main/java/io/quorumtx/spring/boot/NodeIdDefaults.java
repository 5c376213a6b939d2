package io.quorumtx.spring.boot;

import io.quorumtx.tm.xid.NodeIds;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node id when {@code quorumtx.node-id} is not set: the host name, sanitised to the node-id
 * alphabet ({@code [A-Za-z0-9_-]}) and shortened to {@value NodeIds#MAX_LENGTH} characters.
 *
 * <p>A default keeps a first start easy, but a node id must be unique per node and stable across
 * restarts (it is in every Xid, and the local commit log records it and refuses another), which a
 * container's host name often is not. So the derived id always comes with a warning that says how
 * to set it. A name that has to be cut keeps its start and gets a hash of the whole name, so two
 * long host names that share a prefix (pods of one deployment) still differ.
 */
final class NodeIdDefaults {
    private static final Logger LOG = LoggerFactory.getLogger(NodeIdDefaults.class);
    private static final int HASH_CHARS = 6;

    private NodeIdDefaults() {
    }

    /** The configured id, or one derived from this host's name (with a warning). */
    static String resolve(String configured) {
        return resolve(configured, true);
    }

    /**
     * The configured id, or one derived from this host's name: with a warning when the commit log
     * needs the id to stay the same across restarts ({@code stableIdRequired}: the local and the
     * replicated log), at INFO with the database log, whose nodes keep nothing on disk and may
     * come back under another id (another node or the next start finishes what they left).
     */
    static String resolve(String configured, boolean stableIdRequired) {
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        String host = hostName();
        String derived = fromHostName(host);
        if (!stableIdRequired) {
            LOG.info("quorumtx.node-id is not set; using '{}', derived from the host name '{}' (the database commit "
                    + "log needs no stable node id)", derived, host);
            return derived;
        }
        LOG.warn("quorumtx.node-id is not set; using '{}', derived from the host name '{}'. Set quorumtx.node-id "
                + "(or the environment variable QUORUMTX_NODEID) to an id of 1-{} characters of [A-Za-z0-9_-] that is "
                + "unique per node and stays the same across restarts: it is in every Xid, and the commit log "
                + "refuses to open under another id", derived, host, NodeIds.MAX_LENGTH);
        return derived;
    }

    /** The host name's node-id form: first DNS label, other characters as '-', cut with a hash suffix. */
    static String fromHostName(String host) {
        String label = host == null ? "" : host.trim();
        int dot = label.indexOf('.');
        if (dot > 0) {
            label = label.substring(0, dot); // "web-1.example.com" -> "web-1"
        }
        String sanitised = label.replaceAll("[^A-Za-z0-9_-]", "-").toLowerCase(Locale.ROOT);
        if (sanitised.isEmpty() || sanitised.chars().allMatch(c -> c == '-')) {
            sanitised = "quorumtx-node";
        }
        if (sanitised.length() <= NodeIds.MAX_LENGTH) {
            return sanitised;
        }
        String prefix = sanitised.substring(0, NodeIds.MAX_LENGTH - HASH_CHARS - 1);
        return prefix + "-" + hash(host).substring(0, HASH_CHARS);
    }

    private static String hostName() {
        String fromEnv = System.getenv("HOSTNAME");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "";
        }
    }

    private static String hash(String s) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
