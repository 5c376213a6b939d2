package io.quorumtx.tm.log.internal;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;

/**
 * One decoded log record: a COMMIT decision, the END that lets it be forgotten, or a BRANCH_DONE
 * that records one finished branch of a commit still without END.
 */
public sealed interface LogEntry {

    String gtrid();

    record Commit(CommitRecord record) implements LogEntry {
        @Override
        public String gtrid() {
            return record.gtrid();
        }
    }

    record End(String gtrid) implements LogEntry {
    }

    record BranchDone(String gtrid, BranchRecord branch) implements LogEntry {
    }
}
