package io.quorumtx.tm.log;

import java.util.Objects;

/**
 * One prepared branch of a committed transaction: the stable name of the resource it lives in
 * (so recovery, possibly in another process, can find it again) and its branch qualifier.
 */
public record BranchRecord(String resourceName, String branchQualifier) {
    public BranchRecord {
        Objects.requireNonNull(resourceName, "resourceName");
        Objects.requireNonNull(branchQualifier, "branchQualifier");
    }
}
