package io.quorumtx.tm.paxos;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of a node's Paxos-replicated commit log: this node's id, its acceptor's data
 * directory, the members as {@code nodeId=host:port} (the same list on every node, this node
 * included), how connections are authenticated — a shared secret (and, during a rotation, the
 * next or previous one also accepted), or TLS — and timings.
 *
 * <pre>{@code
 * ReplicatedLogConfig config = ReplicatedLogConfig.builder()
 *         .nodeId("orders-1")
 *         .dataDirectory(Path.of("/var/lib/orders/paxos"))
 *         .members(List.of("orders-1=10.0.0.1:7801", "orders-2=10.0.0.2:7801", "orders-3=10.0.0.3:7801"))
 *         .secret(System.getenv("QUORUMTX_CLUSTER_SECRET").getBytes(StandardCharsets.UTF_8))
 *         .startMode(StartMode.RESTART)   // the default; BOOTSTRAP on a new cluster's first start, REJOIN after a lost disk
 *         .build();
 * }</pre>
 *
 * <p><b>Clocks.</b> Two rules compare a transaction's begin time (the owner's wall clock, in its
 * gtrid) with an acceptor's wall clock: the rejoin fence ({@link StartMode#REJOIN}) and the
 * horizon after which an instance is never created again ({@link #tombstoneRetention()}, see
 * {@link AcceptorState}). Both are safe as long as the members' clocks differ by less than
 * {@link Builder#clockSkewMargin} (steps of a clock included, e.g. an NTP correction); keep the
 * clocks synchronized and set the margin well above their worst disagreement.
 *
 * <p>With TLS instead of the secret, {@code .tls(TlsSettings.builder().keyStore(...).trustStore(...).build())}.
 * The two are exclusive: with TLS each member proves its own node id with its certificate and
 * the channel is encrypted; adding a secret every member holds would add nothing but a key that
 * lets any holder speak as any member.
 */
public final class ReplicatedLogConfig {
    /** How long a proposer waits for an acceptor's answer before it counts it missing. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(2);
    /** How long a commit waits for a majority before its outcome is left to recovery. */
    public static final Duration DEFAULT_COMMIT_TIMEOUT = Duration.ofSeconds(10);
    /** A node not heard from by a majority of acceptors for this long may be taken over. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(3);
    /**
     * The horizon: no instance is created for a transaction that began longer ago than this, and
     * a tombstone is kept until its transaction began longer ago than this plus the clock-skew
     * margin. A transaction must therefore reach its commit decision within this time of its begin.
     */
    public static final Duration DEFAULT_TOMBSTONE_RETENTION = Duration.ofMinutes(5);
    /** The most the members' wall clocks may differ (see the class comment). */
    public static final Duration DEFAULT_CLOCK_SKEW_MARGIN = Duration.ofSeconds(30);

    private final ClusterConfig cluster;
    private final Path dataDirectory;
    private final Duration requestTimeout;
    private final Duration commitTimeout;
    private final Duration lease;
    private final Duration tombstoneRetention;
    private final Duration clockSkewMargin;
    private final StartMode startMode;
    private final InProcessCluster inProcess;
    private final TlsSettings tls;

    private ReplicatedLogConfig(Builder b) {
        ClusterConfig c = ClusterConfig.forNode(b.nodeId, b.members, b.tls == null ? b.secret : unsharedKey());
        for (byte[] other : b.rotationSecrets) {
            c = c.withRotationSecret(other);
        }
        this.cluster = c;
        this.tls = b.tls;
        this.dataDirectory = b.dataDirectory;
        this.requestTimeout = b.requestTimeout;
        this.commitTimeout = b.commitTimeout;
        this.lease = b.lease;
        this.tombstoneRetention = b.tombstoneRetention;
        this.clockSkewMargin = b.clockSkewMargin;
        this.startMode = b.startMode;
        this.inProcess = b.inProcess;
    }

    public static Builder builder() {
        return new Builder();
    }

    public ClusterConfig cluster() {
        return cluster;
    }

    public String nodeId() {
        return cluster.self();
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    public Duration commitTimeout() {
        return commitTimeout;
    }

    public Duration lease() {
        return lease;
    }

    public Duration tombstoneRetention() {
        return tombstoneRetention;
    }

    public Duration clockSkewMargin() {
        return clockSkewMargin;
    }

    public StartMode startMode() {
        return startMode;
    }

    /** The acceptor's forgetting rules: the horizon is the tombstone retention. */
    AcceptorState.Rules acceptorRules() {
        return new AcceptorState.Rules(tombstoneRetention.toMillis(), clockSkewMargin.toMillis());
    }

    /** Non-null in TLS mode: then the members authenticate with certificates, not a shared secret. */
    public TlsSettings tls() {
        return tls;
    }

    /**
     * In TLS mode {@link ClusterConfig} still wants a secret; it gets random bytes no other node
     * knows, so a transport mistakenly built in the shared-secret mode from it authenticates
     * nothing rather than everything.
     */
    private static byte[] unsharedKey() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        return key;
    }

    /** Non-null when the members talk through an in-process cluster (tests), not TCP. */
    InProcessCluster inProcessCluster() {
        return inProcess;
    }

    @Override
    public String toString() {
        return "ReplicatedLogConfig[" + cluster + ", data=" + dataDirectory + ", " + startMode
                + (tls == null ? "" : ", " + tls) + "]";
    }

    public static final class Builder {
        private String nodeId;
        private Path dataDirectory;
        private Map<String, InetSocketAddress> members;
        private byte[] secret;
        private final List<byte[]> rotationSecrets = new java.util.ArrayList<>();
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration commitTimeout = DEFAULT_COMMIT_TIMEOUT;
        private Duration lease = DEFAULT_LEASE;
        private Duration tombstoneRetention = DEFAULT_TOMBSTONE_RETENTION;
        private Duration clockSkewMargin = DEFAULT_CLOCK_SKEW_MARGIN;
        private StartMode startMode = StartMode.RESTART;
        private InProcessCluster inProcess;
        private TlsSettings tls;

        public Builder nodeId(String nodeId) {
            this.nodeId = nodeId;
            return this;
        }

        /**
         * This node's acceptor directory (it records the node id and is locked); created only by
         * {@link StartMode#BOOTSTRAP} or {@link StartMode#REJOIN}, see {@link #startMode}.
         */
        public Builder dataDirectory(Path dataDirectory) {
            this.dataDirectory = dataDirectory;
            return this;
        }

        /** Every member as {@code nodeId=host:port}, this node included; an odd number (2F+1). */
        public Builder members(List<String> members) {
            this.members = ClusterConfig.parseMembers(members);
            return this;
        }

        /** The shared secret (at least 16 bytes), the same on every node; never logged. */
        public Builder secret(byte[] secret) {
            this.secret = secret == null ? null : secret.clone();
            return this;
        }

        /**
         * During a secret rotation: the next secret (being introduced) or the previous one (being
         * retired), also accepted from connecting peers; this node always connects with
         * {@link #secret}. See README "Rotating the shared secret" for the order of the steps.
         */
        public Builder nextSecret(byte[] next) {
            if (next != null) {
                rotationSecrets.add(next.clone());
            }
            return this;
        }

        /** The secret that was current before {@link #secret}, still accepted until every node uses the new one. */
        public Builder previousSecret(byte[] previous) {
            return nextSecret(previous);
        }

        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        public Builder commitTimeout(Duration timeout) {
            this.commitTimeout = timeout;
            return this;
        }

        public Builder lease(Duration lease) {
            this.lease = lease;
            return this;
        }

        /**
         * How long acceptors keep a finished instance, counted from the transaction's begin: also
         * the horizon after which no acceptor creates the instance again, so a transaction must
         * reach its commit decision within this time of its begin (default 5 minutes; raise it
         * for longer transactions). The same value on every member, and in the recovery tool's
         * {@code paxos.tombstone.retention}.
         */
        public Builder tombstoneRetention(Duration retention) {
            this.tombstoneRetention = retention;
            return this;
        }

        /**
         * The most the members' wall clocks may differ, steps included (default 30 s): a rejoined
         * member's fence is its rejoin time plus this, and tombstones are kept this much longer
         * than the horizon. The same value on every member.
         */
        public Builder clockSkewMargin(Duration margin) {
            this.clockSkewMargin = margin;
            return this;
        }

        /** How the acceptor starts on its directory (default {@link StartMode#RESTART}); see {@link StartMode}. */
        public Builder startMode(StartMode mode) {
            this.startMode = mode;
            return this;
        }

        /**
         * TLS 1.3 with mutual authentication instead of the shared secret: this node's key and
         * certificate (CN = its node id) and the cluster's CA. Exclusive with {@link #secret}.
         */
        public Builder tls(TlsSettings tls) {
            this.tls = tls;
            return this;
        }

        /**
         * Members reach each other through {@code cluster} in this JVM instead of TCP (tests, see
         * {@link InProcessCluster}); the members' addresses are then unused.
         */
        public Builder inProcess(InProcessCluster cluster) {
            this.inProcess = cluster;
            return this;
        }

        public ReplicatedLogConfig build() {
            if (nodeId == null) {
                throw new IllegalArgumentException("replicatedLog: nodeId is required");
            }
            if (dataDirectory == null) {
                throw new IllegalArgumentException("replicatedLog: dataDirectory is required (this node's acceptor"
                        + " files)");
            }
            if (members == null) {
                throw new IllegalArgumentException("replicatedLog: members are required, as nodeId=host:port");
            }
            if (secret != null && tls != null) {
                throw new IllegalArgumentException("replicatedLog: secret and tls are both set; set one. With tls each"
                        + " member is identified by its certificate and the channel is encrypted; a shared secret"
                        + " would only add a key that lets any holder speak as any member");
            }
            if (tls != null && !rotationSecrets.isEmpty()) {
                throw new IllegalArgumentException("replicatedLog: nextSecret/previousSecret and tls are both set;"
                        + " a rotation secret belongs to the shared-secret mode (with tls, rotate certificates)");
            }
            if (secret == null && tls == null) {
                throw new IllegalArgumentException("replicatedLog: a shared secret (at least "
                        + ClusterConfig.MIN_SECRET_BYTES + " bytes, the same on every node) or tls (certificates) is"
                        + " required");
            }
            if (tls != null && !tls.certificateNodeId().equals(nodeId)) {
                throw new IllegalArgumentException("replicatedLog: the tls keystore's certificate names node '"
                        + tls.certificateNodeId() + "' but nodeId is '" + nodeId + "'; each member needs a"
                        + " certificate whose subject CN is its own node id");
            }
            positive("requestTimeout", requestTimeout);
            positive("commitTimeout", commitTimeout);
            positive("lease", lease);
            positive("tombstoneRetention", tombstoneRetention);
            Objects.requireNonNull(clockSkewMargin, "replicatedLog: clockSkewMargin must not be null");
            if (clockSkewMargin.isNegative()) {
                throw new IllegalArgumentException("replicatedLog: clockSkewMargin must not be negative, got "
                        + clockSkewMargin);
            }
            Objects.requireNonNull(startMode, "replicatedLog: startMode must not be null (BOOTSTRAP, RESTART or REJOIN)");
            if (commitTimeout.compareTo(requestTimeout) < 0) {
                throw new IllegalArgumentException("replicatedLog: commitTimeout (" + commitTimeout
                        + ") must be at least requestTimeout (" + requestTimeout + ")");
            }
            if (tombstoneRetention.compareTo(commitTimeout.multipliedBy(6)) < 0) {
                throw new IllegalArgumentException("replicatedLog: tombstoneRetention (" + tombstoneRetention
                        + ") must be at least six commit timeouts (" + commitTimeout.multipliedBy(6) + "), so a late"
                        + " takeover still finds the tombstone");
            }
            return new ReplicatedLogConfig(this);
        }

        private static void positive(String name, Duration d) {
            Objects.requireNonNull(d, () -> "replicatedLog: " + name + " must not be null");
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("replicatedLog: " + name + " must be positive, got " + d);
            }
        }
    }
}
