package io.quorumtx.tm.recovery;

import io.quorumtx.tm.spi.PreCommitMarker;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one scan found: every prepared QuorumTX branch in every resource that answered, the logged
 * commits that lack an END but have no prepared branch left, and the resources that could not be
 * scanned.
 *
 * @param branches in-doubt branches, in resource order then in the order each resource listed them
 * @param unfinishedWithoutBranches logged commits without END none of whose branches is listed
 * @param unreachableResources resource name to the error that kept it from being scanned (never
 *     a password: the text of the resource's exception)
 * @param markers resource name to the three-phase-commit pre-commit markers it keeps (resources
 *     that keep markers and answered)
 * @param markerErrors resource name to the error that kept its markers from being read
 */
public record ScanResult(List<InDoubtBranch> branches, List<UnfinishedCommit> unfinishedWithoutBranches,
        Map<String, String> unreachableResources, Map<String, List<PreCommitMarker>> markers,
        Map<String, String> markerErrors) {

    public ScanResult {
        branches = List.copyOf(branches);
        unfinishedWithoutBranches = List.copyOf(unfinishedWithoutBranches);
        Objects.requireNonNull(unreachableResources, "unreachableResources");
        unreachableResources = Collections.unmodifiableMap(new LinkedHashMap<>(unreachableResources));
        Map<String, List<PreCommitMarker>> copy = new LinkedHashMap<>();
        markers.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        markers = Collections.unmodifiableMap(copy);
        markerErrors = Collections.unmodifiableMap(new LinkedHashMap<>(markerErrors));
    }

    /** A scan of resources that keep no pre-commit markers. */
    public ScanResult(List<InDoubtBranch> branches, List<UnfinishedCommit> unfinishedWithoutBranches,
            Map<String, String> unreachableResources) {
        this(branches, unfinishedWithoutBranches, unreachableResources, Map.of(), Map.of());
    }

    /** The resources holding a pre-commit marker of {@code gtrid}, in scan order. */
    public List<String> markedIn(String gtrid) {
        List<String> names = new ArrayList<>(2);
        markers.forEach((resource, list) -> {
            for (PreCommitMarker m : list) {
                if (m.gtrid().equals(gtrid)) {
                    names.add(resource);
                    return;
                }
            }
        });
        return names;
    }

    /** The participants a marker of {@code gtrid} lists (empty if no scanned resource holds one). */
    public List<String> markedParticipants(String gtrid) {
        for (List<PreCommitMarker> list : markers.values()) {
            for (PreCommitMarker m : list) {
                if (m.gtrid().equals(gtrid)) {
                    return m.participants();
                }
            }
        }
        return List.of();
    }

    /** True if nothing of ours is prepared, nothing is unfinished and every resource answered. */
    public boolean clean() {
        return branches.isEmpty() && unfinishedWithoutBranches.isEmpty() && unreachableResources.isEmpty();
    }
}
