package io.quorumtx.tm.recovery;

import java.util.Set;

/**
 * Whether the coordinator that owns a transaction might still decide it. Recovery never rolls
 * back a branch whose owner may still write a COMMIT for it: presumed abort is only sound once
 * no COMMIT can appear any more.
 *
 * <p>In the transaction manager, only this incarnation's own unfinished transactions may still be
 * decided (and those whose phase 2 it is still retrying, or whose commit record it could not
 * confirm); earlier incarnations of the node are gone. In the recovery tool, the nodes whose logs
 * the tool holds are not running (it holds their log's file lock); every other node may be alive.
 */
@FunctionalInterface
public interface OwnerLiveness {

    /**
     * True if the owner might still write a decision for {@code gtrid}, or is still finishing it:
     * recovery leaves its branches alone, whatever the log says.
     */
    boolean mayStillDecide(String ownerNode, String gtrid);

    /**
     * True if the owner certainly can no longer decide {@code gtrid} (its incarnation has ended),
     * so a branch without a decision may be rolled back at once instead of after the safety
     * interval. Only consulted when {@link #mayStillDecide} is false. Default: false.
     */
    default boolean isGone(String ownerNode, String gtrid) {
        return false;
    }

    /** Why {@link #mayStillDecide} said true, for the plan's reason. */
    default String whyItMayStillDecide(String ownerNode, String gtrid) {
        return "owned by node " + ownerNode + ", which may still decide";
    }

    /**
     * For the recovery tool: the nodes in {@code stoppedNodes} are not running (the caller holds
     * their commit log's lock), so their undecided branches are rolled back at once; any other
     * node may be alive and its branches are left alone.
     */
    static OwnerLiveness stoppedNodes(Set<String> stoppedNodes) {
        Set<String> stopped = Set.copyOf(stoppedNodes);
        return new OwnerLiveness() {
            @Override
            public boolean mayStillDecide(String ownerNode, String gtrid) {
                return !stopped.contains(ownerNode);
            }

            @Override
            public boolean isGone(String ownerNode, String gtrid) {
                return stopped.contains(ownerNode);
            }

            @Override
            public String whyItMayStillDecide(String ownerNode, String gtrid) {
                return "owned by node " + ownerNode + ", whose commit log is not held here, so it may be alive";
            }
        };
    }
}
