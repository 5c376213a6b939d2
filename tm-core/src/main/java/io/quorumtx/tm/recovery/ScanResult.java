package io.quorumtx.tm.recovery;

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
 */
public record ScanResult(List<InDoubtBranch> branches, List<UnfinishedCommit> unfinishedWithoutBranches,
        Map<String, String> unreachableResources) {

    public ScanResult {
        branches = List.copyOf(branches);
        unfinishedWithoutBranches = List.copyOf(unfinishedWithoutBranches);
        Objects.requireNonNull(unreachableResources, "unreachableResources");
        unreachableResources = Collections.unmodifiableMap(new LinkedHashMap<>(unreachableResources));
    }

    /** True if nothing of ours is prepared, nothing is unfinished and every resource answered. */
    public boolean clean() {
        return branches.isEmpty() && unfinishedWithoutBranches.isEmpty() && unreachableResources.isEmpty();
    }
}
