package io.quorumtx.tm.recovery;

import io.quorumtx.tm.spi.PreCommitMarker;
import io.quorumtx.tm.spi.PreCommitMarkers;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.protocol.XaCodes;
import io.quorumtx.tm.xid.QuorumXid;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One scan of every resource, with the recovery connections it opened kept open until
 * {@link #close()}, so the pass's commits and rollbacks run on the connection that ran
 * {@code recover()}. That matters: H2's own XAResource only acts on a recovered branch through
 * the connection whose {@code recover()} listed it (and only on one per listing; on any other
 * connection its rollback silently does nothing), which is why {@link Recovery} rescans.
 */
final class RecoveryPass implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RecoveryPass.class);

    private final Map<String, RecoverableResource.RecoveryConnection> connections = new LinkedHashMap<>();
    private ScanResult result;

    private RecoveryPass() {
    }

    ScanResult result() {
        return result;
    }

    /** The open connection of a resource that answered this pass's scan, or null. */
    XAResource xaResource(String resourceName) {
        RecoverableResource.RecoveryConnection c = connections.get(resourceName);
        return c == null ? null : c.xaResource();
    }

    static RecoveryPass scan(CommitLog log, List<RecoverableResource> resources, Clock clock) {
        List<InDoubtBranch> branches = new ArrayList<>();
        Map<String, String> unreachable = new LinkedHashMap<>();
        Map<String, List<PreCommitMarker>> markers = new LinkedHashMap<>();
        Map<String, String> markerErrors = new LinkedHashMap<>();
        RecoveryPass pass = new RecoveryPass();
        try {
            long now = clock.millis();
            for (RecoverableResource resource : resources) {
                String name = resource.resourceName();
                RecoverableResource.RecoveryConnection connection = null;
                try {
                    connection = resource.openRecoveryConnection();
                    Xid[] listed = connection.xaResource().recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN);
                    pass.connections.put(name, connection);
                    connection = null;
                    Set<QuorumXid> ours = new LinkedHashSet<>();
                    if (listed != null) {
                        for (Xid xid : listed) {
                            QuorumXid.parse(xid).filter(q -> QuorumXid.isQuorumGtrid(q.gtrid())).ifPresent(ours::add);
                        }
                    }
                    for (QuorumXid xid : ours) {
                        branches.add(new InDoubtBranch(name, xid, xid.gtrid(), xid.ownerNodeId(),
                                log.decision(xid.gtrid()), age(xid, now)));
                    }
                    listMarkers(resource, markers, markerErrors);
                } catch (XAException | RuntimeException e) {
                    String error = describe(e);
                    unreachable.put(name, error);
                    LOG.warn("Recovery could not scan resource {}: {}; its branches stay as they are until a later pass",
                            name, error);
                    closeQuietly(name, connection);
                }
            }
            // Read after the scans: a commit logged while they ran is then either listed here or
            // its branches were already prepared (and seen, or committed) when the scans ran.
            List<UnfinishedCommit> unfinished = unfinishedWithoutBranches(log, branches, resources, unreachable);
            pass.result = new ScanResult(branches, unfinished, unreachable, markers, markerErrors);
            return pass;
        } catch (RuntimeException | Error e) {
            pass.close();
            throw e;
        }
    }

    /**
     * Reads the pre-commit markers of a resource that keeps them. Listed after its branches: a
     * marker is written only after every branch prepared, so a branch listed without a marker that
     * gets one meanwhile is still seen with it on the next pass, never the other way round.
     */
    private static void listMarkers(RecoverableResource resource, Map<String, List<PreCommitMarker>> markers,
            Map<String, String> markerErrors) {
        PreCommitMarkers store = resource.preCommitMarkers();
        if (store == null) {
            return;
        }
        try {
            markers.put(resource.resourceName(), store.list());
        } catch (XAException | RuntimeException e) {
            String error = describe(e);
            markerErrors.put(resource.resourceName(), error);
            LOG.warn("Recovery could not read the pre-commit markers of {}: {}", resource.resourceName(), error);
        }
    }

    private static List<UnfinishedCommit> unfinishedWithoutBranches(CommitLog log,
            List<InDoubtBranch> branches, List<RecoverableResource> resources, Map<String, String> unreachable) {
        List<CommitRecord> unfinished = log.unfinished();
        Set<String> listedGtrids = new HashSet<>();
        for (InDoubtBranch b : branches) {
            listedGtrids.add(b.gtrid());
        }
        Set<String> known = new HashSet<>();
        for (RecoverableResource r : resources) {
            known.add(r.resourceName());
        }
        List<UnfinishedCommit> result = new ArrayList<>();
        for (CommitRecord record : unfinished) {
            if (listedGtrids.contains(record.gtrid())) {
                continue;
            }
            result.add(new UnfinishedCommit(record.gtrid(), Instant.ofEpochMilli(record.decidedAtMillis()),
                    record.branches(), blockers(log, record, known, unreachable)));
        }
        return result;
    }

    /**
     * What keeps a logged commit from its END: each branch that is neither recorded finished
     * (BRANCH_DONE, forced only after its database finished it) nor checked absent by a scan of
     * its resource. A pass over a subset of the resources can thus still end a commit whose other
     * branches an earlier pass finished.
     */
    static Map<String, String> blockers(CommitLog log, CommitRecord record, Set<String> known,
                                        Map<String, String> unreachable) {
        Map<String, String> blockedBy = new LinkedHashMap<>();
        for (BranchRecord branch : record.branches()) {
            String name = branch.resourceName();
            String why = !known.contains(name)
                    ? "resource " + name + " is not registered with (or configured for) recovery; register it under"
                            + " that name so its branch can be checked"
                    : unreachable.containsKey(name) ? "resource " + name + " could not be scanned: " + unreachable.get(name)
                    : null;
            // Asked last: with the replicated log it may be a read of a majority of acceptors.
            if (why != null && !isKnownDone(log, record.gtrid(), branch)) {
                blockedBy.put(name, why);
            }
        }
        return blockedBy;
    }

    /** Unknown (the log cannot tell now) counts as not done: the branch's resource must then show it finished. */
    private static boolean isKnownDone(CommitLog log, String gtrid, BranchRecord branch) {
        try {
            return log.isBranchDone(gtrid, branch);
        } catch (CommitLogException e) {
            LOG.debug("Whether branch {} of {} is finished cannot be read now: {}", branch, gtrid, e.getMessage());
            return false;
        }
    }

    private static Optional<Duration> age(QuorumXid xid, long nowMillis) {
        long begin = xid.beginMillis();
        return Optional.of(Duration.ofMillis(Math.max(0, nowMillis - begin)));
    }

    /**
     * The error of an unreachable resource as text: the XA code and message, and the root cause's
     * message, with anything that looks like a password setting masked (a driver may echo a URL).
     */
    static String describe(Throwable e) {
        String text = XaCodes.describe(e);
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e) {
            text += " (caused by " + root + ")";
        }
        return PASSWORD_SETTING.matcher(text).replaceAll("$1=***");
    }

    private static final Pattern PASSWORD_SETTING = Pattern.compile("(?i)\\b(password|passwd|pwd)\\s*=\\s*[^;&,\\s)\\]]*");

    private static void closeQuietly(String name, RecoverableResource.RecoveryConnection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (RuntimeException e) {
            LOG.debug("Closing the recovery connection of {} failed", name, e);
        }
    }

    @Override
    public void close() {
        for (var entry : connections.entrySet()) {
            closeQuietly(entry.getKey(), entry.getValue());
        }
        connections.clear();
    }
}
