package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.xid.QuorumXid;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The acceptor keeps a transaction's finished branches (BRANCH_DONE) for as long as it keeps the
 * transaction: in the tombstone after FINISH, across a replay of its file and across compaction,
 * and reports them in every answer, the tombstone's FINISHED included.
 */
class AcceptorStateBranchDoneTest {
    private static final BranchRecord A = new BranchRecord("db-a", "db-a");
    private static final BranchRecord B = new BranchRecord("db-b", "db-b");
    private static final String GTRID = QuorumXid.formatGtrid("n1", "e1", 1, 1_000);
    private static final PaxosValue COMMIT = PaxosValue.commit(new CommitRecord(GTRID, List.of(A, B), 1_000));

    private final AcceptorState state = new AcceptorState();
    private final List<AcceptorRecord> written = new ArrayList<>();

    private PaxosReply handle(PaxosRequest request) {
        AcceptorState.Step step = state.handle(request, 5_000);
        if (step.record() != null) {
            written.add(step.record());
        }
        return step.reply();
    }

    private void acceptFinishWithBranchADone() {
        handle(new PaxosRequest.Accept(GTRID, Ballot.coordinator("n1"), COMMIT));
        handle(new PaxosRequest.BranchDone(GTRID, A));
        handle(new PaxosRequest.Finish(GTRID, COMMIT, true));
    }

    @Test
    void theTombstoneKeepsAndReportsTheFinishedBranches() {
        acceptFinishWithBranchADone();
        PaxosReply read = handle(new PaxosRequest.Read(GTRID));
        assertThat(read.finished()).isTrue();
        assertThat(read.done()).containsExactly(A);
    }

    @Test
    void aBranchRecordedFinishedAfterTheFinishIsKeptDurablyInTheTombstone() {
        acceptFinishWithBranchADone();
        AcceptorState.Step step = state.handle(new PaxosRequest.BranchDone(GTRID, B), 6_000);
        assertThat(step.record()).as("written and forced before the answer").isNotNull();
        assertThat(step.force()).isTrue();
        assertThat(step.reply().finished()).isTrue();
        assertThat(step.reply().done()).containsExactly(A, B);
        assertThat(state.slot(GTRID).finishedAtMillis()).as("the retention is not restarted").isEqualTo(5_000);
    }

    @Test
    void replayingTheFileRebuildsTheTombstoneWithItsFinishedBranches() {
        acceptFinishWithBranchADone();
        handle(new PaxosRequest.BranchDone(GTRID, B));
        AcceptorState replayed = new AcceptorState();
        written.forEach(replayed::replay);
        assertThat(replayed.slot(GTRID)).isEqualTo(state.slot(GTRID));
        assertThat(replayed.slot(GTRID).done()).containsExactly(A, B);
    }

    @Test
    void compactionKeepsTheTombstonesFinishedBranches() {
        acceptFinishWithBranchADone();
        AcceptorState compacted = new AcceptorState();
        AcceptorState.recordsOf(GTRID, state.slot(GTRID)).forEach(compacted::replay);
        AcceptorState.Slot tombstone = compacted.slot(GTRID);
        assertThat(tombstone.finished()).isTrue();
        assertThat(tombstone.accepted()).isEqualTo(COMMIT);
        assertThat(tombstone.done()).containsExactly(A);
    }
}
