package io.quorumtx.recovery.cli;

import io.quorumtx.recovery.config.ConfigException;
import io.quorumtx.recovery.config.DatabaseConfig;
import io.quorumtx.recovery.config.ToolConfig;
import io.quorumtx.recovery.output.LogView;
import io.quorumtx.recovery.output.RecoveryView;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.LogInspection;
import io.quorumtx.tm.recovery.InDoubtBranch;
import io.quorumtx.tm.recovery.OwnerLiveness;
import io.quorumtx.tm.xid.QuorumXid;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What scan and resolve both start from: the validated configuration, a read-only snapshot of
 * the log (damage, node id, whether its node is running), and the node whose log it is.
 */
final class RecoverySetup {
    final ToolConfig config;
    final Path logDirectory;
    final LogInspection log;
    final Optional<String> nodeId;
    /** When the log was found unlocked (or not): before this, the log's node was not running. */
    private final long checkedAtMillis;

    private RecoverySetup(ToolConfig config, Path logDirectory, LogInspection log, Optional<String> nodeId,
                          long checkedAtMillis) {
        this.config = config;
        this.logDirectory = logDirectory;
        this.log = log;
        this.nodeId = nodeId;
        this.checkedAtMillis = checkedAtMillis;
    }

    /** The configuration alone, validated; problems become exit 2 with the config's message. */
    static ToolConfig loadConfig(Path configFile) {
        try {
            ToolConfig config = ToolConfig.load(configFile);
            config.requireDatabases();
            return config;
        } catch (ConfigException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, e.getMessage(), e);
        }
    }

    static RecoverySetup load(Path configFile) {
        ToolConfig config;
        Path dir;
        try {
            config = ToolConfig.load(configFile);
            dir = config.requireLogDirectory();
            config.requireDatabases();
        } catch (ConfigException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, e.getMessage(), e);
        }
        LogInspection log;
        long checkedAt = System.currentTimeMillis();
        try {
            log = LogInspection.read(dir);
        } catch (CommitLogException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, e.getMessage(), e);
        }
        Optional<String> fromLog = log.nodeId();
        if (fromLog.isPresent() && config.nodeId().isPresent() && !fromLog.equals(config.nodeId())) {
            throw new ToolException(ExitCodes.BAD_INPUT, ToolConfig.NODE_ID + "=" + config.nodeId().get() + " in "
                    + config.source() + " does not match the log: " + dir + " belongs to node " + fromLog.get()
                    + "; fix " + ToolConfig.NODE_ID + " or " + ToolConfig.LOG_DIRECTORY);
        }
        return new RecoverySetup(config, dir, log, fromLog.or(config::nodeId), checkedAt);
    }

    /**
     * The node id, required to resolve: without it the tool cannot tell which branches the log
     * decides. A directory with neither a node-id file nor a segment is refused even when the
     * configuration names a node: it is not that node's log (every open of a log leaves a segment),
     * and presuming aborts against an empty log could undo decisions kept in the real one.
     */
    String requireNodeId() {
        if (holdsNoLog()) {
            throw new ToolException(ExitCodes.BAD_INPUT, noLogMessage() + " Nothing was changed.");
        }
        return nodeId.orElseThrow(() -> new ToolException(ExitCodes.BAD_INPUT, "Cannot tell which node wrote the"
                + " commit log " + logDirectory + ": it has no " + LogInspection.NODE_ID_FILE + " file. Set "
                + ToolConfig.NODE_ID + " in " + config.source() + " to that node's id. Nothing was changed."));
    }

    /** The directory holds neither a segment nor a node-id file: it is not (or no longer) a commit log. */
    boolean holdsNoLog() {
        return log.nodeId().isEmpty() && log.segments().isEmpty();
    }

    String noLogMessage() {
        return ToolConfig.LOG_DIRECTORY + "=" + logDirectory + " in " + config.source() + " holds no commit log (no"
                + " segment file, no " + LogInspection.NODE_ID_FILE + " file); point it at the node's commit log"
                + " directory, or, if the log is lost, see below.";
    }

    /** A message if {@code log.directory} is set but does not exist (the log is gone), else empty. */
    static Optional<String> missingLogDirectory(ToolConfig config) {
        return config.logDirectory().filter(dir -> !java.nio.file.Files.exists(dir)).map(dir -> "Commit log directory "
                + dir + " (" + ToolConfig.LOG_DIRECTORY + " in " + config.source() + ") does not exist.");
    }

    List<RecoverableResource> resources(CliContext context) {
        return Databases.resources(config, context);
    }

    /**
     * The log's node is stopped when nobody holds its log (proved for resolve by holding the lock
     * itself); every other node may be alive. A running node owns its own unfinished work.
     */
    OwnerLiveness liveness() {
        if (nodeId.isEmpty()) {
            return OwnerLiveness.stoppedNodes(Set.of());
        }
        if (log.probablyRunning()) {
            String node = nodeId.get();
            return new OwnerLiveness() {
                @Override
                public boolean mayStillDecide(String ownerNode, String gtrid) {
                    return true;
                }

                @Override
                public String whyItMayStillDecide(String ownerNode, String gtrid) {
                    return ownerNode.equals(node) ? "owned by node " + node + ", which is running (its commit log"
                            + " is locked): its own recovery manager will finish it"
                            : "owned by node " + ownerNode + ", whose commit log is not held here, so it may be alive";
                }
            };
        }
        return new StoppedNode(nodeId.get(), checkedAtMillis);
    }

    /**
     * The log's node is stopped: nothing it began can still be decided, so its undecided branches
     * are rolled back at once. Except a transaction that began after the tool found the log
     * unlocked: the stopped node cannot have begun it, so another manager is running under the
     * same node id (a misconfiguration), and its transactions are left alone. A clock behind the
     * coordinator's errs on the side of leaving a branch. Any other node may be alive.
     */
    private record StoppedNode(String node, long checkedAtMillis) implements OwnerLiveness {
        @Override
        public boolean mayStillDecide(String ownerNode, String gtrid) {
            return !ownerNode.equals(node) || begunAfterCheck(gtrid);
        }

        @Override
        public boolean isGone(String ownerNode, String gtrid) {
            return ownerNode.equals(node) && !begunAfterCheck(gtrid);
        }

        @Override
        public String whyItMayStillDecide(String ownerNode, String gtrid) {
            if (ownerNode.equals(node)) {
                return "owned by node " + node + " but begun after the tool found " + node + "'s commit log unlocked:"
                        + " another transaction manager may be running under node id " + node;
            }
            return "owned by node " + ownerNode + ", whose commit log is not held here, so it may be alive";
        }

        private boolean begunAfterCheck(String gtrid) {
            return QuorumXid.isQuorumGtrid(gtrid) && QuorumXid.beginMillis(gtrid) > checkedAtMillis;
        }
    }

    String describeLog() {
        return "Commit log " + logDirectory + ": node " + nodeId.orElse("unknown (no node-id file, no node.id)")
                + (log.probablyRunning() ? ", RUNNING (its log is locked)" : ", not running");
    }

    List<LogView.ProblemView> problemViews() {
        return log.problems().stream().map(p -> new LogView.ProblemView(p.segment().getFileName().toString(),
                p.offset(), p.bytes(), p.kind().name(), p.description())).toList();
    }

    boolean seriousDamage() {
        return log.problems().stream().anyMatch(LogInspection.Problem::serious);
    }

    List<RecoveryView.DatabaseView> databaseViews(List<InDoubtBranch> branches, Map<String, String> unreachable,
                                                  CliContext context) {
        return databaseViews(config, branches, unreachable, context);
    }

    static List<RecoveryView.DatabaseView> databaseViews(ToolConfig config, List<InDoubtBranch> branches,
                                                         Map<String, String> unreachable, CliContext context) {
        return config.databases().stream().map(db -> databaseView(db, branches, unreachable, context)).toList();
    }

    private static RecoveryView.DatabaseView databaseView(DatabaseConfig db, List<InDoubtBranch> branches,
                                                          Map<String, String> unreachable, CliContext context) {
        String error = unreachable.get(db.name());
        int count = (int) branches.stream().filter(b -> b.resourceName().equals(db.name())).count();
        return new RecoveryView.DatabaseView(db.name(), db.maskedUrl(), error == null, count, context.scrub(error));
    }
}
