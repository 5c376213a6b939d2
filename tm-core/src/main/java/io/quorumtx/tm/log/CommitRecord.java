package io.quorumtx.tm.log;

import java.util.List;
import java.util.Objects;

/**
 * The COMMIT decision of one transaction: its global id, the branches that voted yes and must
 * be committed, and when the decision was taken (epoch millis, for ages shown by recovery).
 */
public record CommitRecord(String gtrid, List<BranchRecord> branches, long decidedAtMillis) {
    public CommitRecord {
        Objects.requireNonNull(gtrid, "gtrid");
        branches = List.copyOf(branches);
    }
}
