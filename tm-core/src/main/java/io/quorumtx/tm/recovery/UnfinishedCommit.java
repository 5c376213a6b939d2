package io.quorumtx.tm.recovery;

import io.quorumtx.tm.log.BranchRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A logged COMMIT without its END, none of whose branches is listed as prepared by a resource
 * that could be scanned: each of those branches has committed already. Its END can be written
 * once {@link #blockedBy()} is empty; until then some branch may still be prepared in a resource
 * that could not be asked.
 *
 * @param gtrid the transaction
 * @param decidedAt when the COMMIT was decided
 * @param branches every branch the COMMIT record names
 * @param blockedBy resource name to why its branches could not be checked (unreachable, or not
 *     registered/configured); empty when every branch is known to be finished
 */
public record UnfinishedCommit(String gtrid, Instant decidedAt, List<BranchRecord> branches,
        Map<String, String> blockedBy) {

    public UnfinishedCommit {
        Objects.requireNonNull(gtrid, "gtrid");
        Objects.requireNonNull(decidedAt, "decidedAt");
        branches = List.copyOf(branches);
        blockedBy = Map.copyOf(blockedBy);
    }

    /** True when every branch is known to be finished, so END may be written. */
    public boolean finished() {
        return blockedBy.isEmpty();
    }
}
