package io.quorumtx.recovery.cli;

import io.quorumtx.recovery.config.ToolConfig;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.NodeIdFile;
import io.quorumtx.tm.paxos.ClusterAccess;
import io.quorumtx.tm.paxos.ClusterConfig;
import io.quorumtx.tm.paxos.ReplicatedCommitLog;
import io.quorumtx.tm.paxos.TlsSettings;
import io.quorumtx.tm.recovery.OwnerLiveness;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Scan and resolve against the Paxos-replicated log: the tool reads decisions from a majority
 * of the acceptors and, for resolve, takes over as a proposer. Over the network it asks the
 * running members (authenticated with the shared secret from the environment); offline it opens
 * the acceptor directories of stopped members itself (taking their locks, so a running member's
 * directory is refused). Either way fewer than a majority of replicas means no decision can be
 * read safely: the tool stops with exit 2 and changes nothing.
 */
final class PaxosSetup implements AutoCloseable {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);

    final ToolConfig config;
    final ToolConfig.PaxosSettings paxos;
    final Map<String, InetSocketAddress> members;
    final ReplicatedCommitLog log;
    final Map<String, String> replicas;
    /** The stopped members' acceptors the tool runs itself (offline), else null. */
    private final ClusterAccess.Offline held;

    private PaxosSetup(ToolConfig config, Map<String, InetSocketAddress> members, ReplicatedCommitLog log,
                       Map<String, String> replicas, ClusterAccess.Offline held) {
        this.config = config;
        this.paxos = config.paxos().orElseThrow();
        this.members = members;
        this.log = log;
        this.replicas = replicas;
        this.held = held;
    }

    static PaxosSetup open(ToolConfig config, CliContext context) {
        ToolConfig.PaxosSettings paxos = config.paxos().orElseThrow();
        Map<String, InetSocketAddress> members = ClusterConfig.parseMembers(paxos.members());
        TlsSettings tls = paxos.offline() ? null : paxos.tls().map(files -> tlsSettings(files, config, context))
                .orElse(null);
        // Over TLS the members accept the tool's messages only under the id its certificate names.
        String toolId = tls == null ? ClusterConfig.newToolId() : tls.certificateNodeId();
        ClusterAccess.Offline held = null;
        ReplicatedCommitLog log;
        try {
            if (paxos.offline()) {
                held = ClusterAccess.offline(members.keySet());
                for (Path dir : paxos.acceptorDirectories()) {
                    openAcceptor(held, dir, members, config, paxos);
                }
                log = held.client(toolId, REQUEST_TIMEOUT, paxos.lease());
            } else if (tls != null) {
                // a secret of random bytes nobody else has: over TLS the certificate authenticates
                byte[] unshared = new byte[32];
                new java.security.SecureRandom().nextBytes(unshared);
                log = ClusterAccess.tls(new ClusterConfig(toolId, members, unshared), tls, REQUEST_TIMEOUT, paxos.lease());
            } else {
                String variable = paxos.secretEnv().orElseThrow();
                String secret = context.env(variable);
                if (secret == null || secret.isEmpty()) {
                    throw new ToolException(ExitCodes.BAD_INPUT, "The environment variable " + variable + " named by "
                            + ToolConfig.PAXOS_SECRET_ENV + " in " + config.source() + " is not set: it must hold the"
                            + " cluster's shared secret. Nothing was changed.");
                }
                ClusterConfig cluster;
                try {
                    cluster = new ClusterConfig(toolId, members, secret.getBytes(StandardCharsets.UTF_8));
                    for (String rotationVariable : paxos.rotationSecretEnvs()) {
                        String other = context.env(rotationVariable);
                        if (other == null || other.isEmpty()) {
                            throw new ToolException(ExitCodes.BAD_INPUT, "The environment variable " + rotationVariable
                                    + " named in " + config.source() + " is not set: it must hold the previous or next"
                                    + " secret of the rotation. Nothing was changed.");
                        }
                        context.secret(other);
                        cluster = cluster.withRotationSecret(other.getBytes(StandardCharsets.UTF_8));
                    }
                } catch (IllegalArgumentException e) {
                    throw new ToolException(ExitCodes.BAD_INPUT, e.getMessage() + " (from " + variable + ")."
                            + " Nothing was changed.", e);
                }
                log = ClusterAccess.tcp(cluster, REQUEST_TIMEOUT, paxos.lease());
            }
        } catch (IOException | RuntimeException e) {
            if (held != null) {
                held.close();
            }
            if (e instanceof ToolException t) {
                throw t;
            }
            throw new ToolException(ExitCodes.BAD_INPUT, e.getMessage() + " Nothing was changed.", e);
        }
        try {
            Map<String, String> replicas = majorityOfReplicas(log, held, members);
            return new PaxosSetup(config, members, log, replicas, held);
        } catch (RuntimeException e) {
            // without a majority nothing is read: release what was opened, the acceptor directories' locks included
            log.close();
            if (held != null) {
                held.close();
            }
            throw e;
        }
    }

    /**
     * Which replicas answered ({@code held} non-null: offline, only the directories opened count);
     * refuses with exit 2 unless a majority did.
     */
    private static Map<String, String> majorityOfReplicas(ReplicatedCommitLog log, ClusterAccess.Offline held,
                                                          Map<String, InetSocketAddress> members) {
        Map<String, String> replicas = log.probeReplicas();
        if (held != null) {
            Set<String> here = held.nodeIds();
            replicas.replaceAll((id, state) -> here.contains(id) ? state : "not read: its directory is not configured");
        }
        long answered = replicas.values().stream().filter(PaxosSetup::answered).count();
        int quorum = members.size() / 2 + 1;
        if (answered < quorum) {
            throw new ToolException(ExitCodes.BAD_INPUT, "Only " + answered + " of " + members.size() + " replicas of"
                    + " the replicated log answered (" + describe(replicas) + "); a majority (" + quorum + ") is needed"
                    + " to read decisions safely. Nothing was changed.");
        }
        return replicas;
    }

    static boolean answered(String replicaState) {
        return replicaState.startsWith(ReplicatedCommitLog.ANSWERED);
    }

    /**
     * The cluster's forgetting rules, for the acceptors the tool runs offline: they must be the
     * nodes' own (a shorter retention would drop tombstones the cluster keeps, and call instances
     * expired that the cluster still decides), and nothing on disk records them, so they are
     * configured; without them the tool refuses.
     */
    private static Duration offlineRetention(ToolConfig config, ToolConfig.PaxosSettings paxos) {
        return paxos.tombstoneRetention().orElseThrow(() -> new ToolException(ExitCodes.BAD_INPUT,
                ToolConfig.PAXOS_DIRECTORIES + " in " + config.source() + " makes the tool run the stopped members'"
                + " acceptors itself, which must keep tombstones exactly as long as the cluster does: set "
                + ToolConfig.PAXOS_TOMBSTONE_RETENTION + " to the tombstoneRetention the nodes use (default 5m), and "
                + ToolConfig.PAXOS_CLOCK_SKEW_MARGIN + " if they set clockSkewMargin (default 30s). Nothing was"
                + " changed."));
    }

    private static TlsSettings tlsSettings(ToolConfig.TlsFiles files, ToolConfig config, CliContext context) {
        try {
            TlsSettings.Builder b = TlsSettings.builder(context::env)
                    .keyStore(files.keyStore(), files.keyStoreType())
                    .trustStore(files.trustStore(), files.trustStoreType());
            files.keyStorePasswordEnv().ifPresent(b::keyStorePasswordEnv);
            files.trustStorePasswordEnv().ifPresent(b::trustStorePasswordEnv);
            TlsSettings tls = b.build();
            String id = tls.certificateNodeId();
            if (!id.startsWith(ClusterConfig.TOOL_PREFIX)) {
                throw new IllegalArgumentException("the certificate in " + ToolConfig.PAXOS_TLS_KEYSTORE + " "
                        + files.keyStore() + " names '" + id + "'; the tool needs its own certificate, with a CN"
                        + " starting with " + ClusterConfig.TOOL_PREFIX + " (never a member's)");
            }
            return tls;
        } catch (IllegalArgumentException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, e.getMessage() + " (" + config.source() + "). Nothing was"
                    + " changed.", e);
        }
    }

    private static void openAcceptor(ClusterAccess.Offline held, Path dir, Map<String, InetSocketAddress> members,
                                     ToolConfig config, ToolConfig.PaxosSettings paxos) {
        Optional<String> node;
        try {
            node = NodeIdFile.read(dir);
        } catch (CommitLogException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, e.getMessage() + ". Nothing was changed.", e);
        }
        if (node.isEmpty()) {
            throw new ToolException(ExitCodes.BAD_INPUT, ToolConfig.PAXOS_DIRECTORIES + " in " + config.source()
                    + " lists " + dir + ", which is not an acceptor directory (no " + NodeIdFile.FILE_NAME + " file)."
                    + " Nothing was changed.");
        }
        if (!members.containsKey(node.get())) {
            throw new ToolException(ExitCodes.BAD_INPUT, "Acceptor directory " + dir + " belongs to node '"
                    + node.get() + "', which is not among " + ToolConfig.PAXOS_MEMBERS + " " + members.keySet()
                    + ". Nothing was changed.");
        }
        Duration retention = offlineRetention(config, paxos); // after the directory checks: a missing one says so first
        try {
            held.open(dir, node.get(), retention, paxos.clockSkewMargin());
        } catch (CommitLogException | IllegalStateException e) {
            String message = e.getMessage();
            if (message != null && (message.contains("in use by another") || message.contains("already open"))) {
                message = "Node " + node.get() + " is running: its acceptor directory " + dir + " is locked. Ask the"
                        + " running nodes over the network (" + ToolConfig.PAXOS_SECRET_ENV + ") instead, or stop it";
            }
            throw new ToolException(ExitCodes.BAD_INPUT, message + ". Nothing was changed.", e);
        }
    }

    /**
     * Offline, the tool holds a majority of the acceptors, so no member can get anything chosen
     * without it: every owner counts as stopped. Online, an owner whose lease a majority of
     * acceptors saw lapse is gone; any other is alive and finishes its own transactions.
     */
    OwnerLiveness liveness() {
        if (paxos.offline()) {
            return OwnerLiveness.stoppedNodes(members.keySet());
        }
        return new OwnerLiveness() {
            @Override
            public boolean mayStillDecide(String ownerNode, String gtrid) {
                return !log.isOwnerLeaseLapsed(ownerNode);
            }

            @Override
            public boolean isGone(String ownerNode, String gtrid) {
                return log.isOwnerLeaseLapsed(ownerNode);
            }

            @Override
            public String whyItMayStillDecide(String ownerNode, String gtrid) {
                return "owned by node " + ownerNode + ", whose lease is live (a majority of acceptors heard from it"
                        + " within " + paxos.lease() + "): it finishes its own transactions";
            }
        };
    }

    /** The members whose transactions the tool may take over now. */
    List<String> goneOwners() {
        return members.keySet().stream().filter(m -> paxos.offline() || log.isOwnerLeaseLapsed(m)).toList();
    }

    String describeLog() {
        return "Replicated commit log " + members.keySet() + (paxos.offline() ? " (offline, from acceptor directories)"
                : " (asking the running members)") + ": replicas " + describe(replicas);
    }

    private static String describe(Map<String, String> replicas) {
        return new TreeMap<>(replicas).entrySet().stream()
                .map(e -> e.getKey() + " " + (answered(e.getValue()) ? e.getValue() : "did not answer ("
                        + e.getValue() + ")")).collect(Collectors.joining(", "));
    }

    @Override
    public void close() {
        log.close();
        if (held != null) {
            held.close();
        }
    }
}
