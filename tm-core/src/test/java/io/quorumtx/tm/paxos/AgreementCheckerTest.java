package io.quorumtx.tm.paxos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.paxos.PaxosSimulation.Breakage;
import io.quorumtx.tm.paxos.PaxosSimulation.Counter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checker's rule for an ABORT learned against a chosen COMMIT (notes/sim-findings.md problem
 * A): legitimate only as the presumed abort of a forgotten commit (every branch committed before),
 * and its read-back from a straggler's ABORT tombstone; anything else stays a violation.
 */
class AgreementCheckerTest {
    private static final String G = "n1.e1.1.loyw3v28";
    private static final PaxosValue COMMIT = PaxosValue.commit(new CommitRecord(G,
            List.of(new BranchRecord("db-a", "db-a"), new BranchRecord("db-b", "db-b")), 1));

    private final AgreementChecker checker = new AgreementChecker(3, what -> {
        throw new AssertionError(what);
    }, line -> { });

    @Test
    void aPresumedAbortOfACommitWhoseBranchesAreAllCommittedIsAForgottenCommitAndItsReadBackToo() {
        chooseCommit();
        checker.apply("coordinator", G, "db-a", COMMIT);
        checker.apply("coordinator", G, "db-b", COMMIT);

        checker.learned("sweep", G, PaxosValue.abort(), true);
        checker.learned("later reader", G, PaxosValue.abort(), false);

        assertThat(checker.isForgottenCommit(G)).isTrue();
        assertThat(checker.forgottenCommits()).isEqualTo(1);
    }

    @Test
    void aPresumedAbortWhileABranchOfTheChosenCommitIsStillPreparedIsAViolation() {
        chooseCommit();
        checker.apply("coordinator", G, "db-a", COMMIT);

        assertThatThrownBy(() -> checker.learned("sweep", G, PaxosValue.abort(), true))
                .hasMessageContaining("presumes ABORT past the horizon, but COMMIT was chosen and a branch is not"
                        + " committed yet: [db-a=COMMITTED, db-b=PREPARED]");
    }

    @Test
    void anAbortReadAgainstAChosenCommitWithoutAForgottenCommitBeforeIsAViolation() {
        chooseCommit();
        checker.apply("coordinator", G, "db-a", COMMIT);
        checker.apply("coordinator", G, "db-b", COMMIT);

        assertThatThrownBy(() -> checker.learned("reader", G, PaxosValue.abort(), false))
                .hasMessageContaining("reader learned ABORT but the chosen value is COMMIT");
    }

    /**
     * Seed 2625 with every fault failed before the rule with "proposer n2 (1,n2/13) for
     * n1.e1.1.loyw3v28 learned ABORT but the chosen value is COMMIT[..]": COMMIT chosen at step 2,
     * both branches committed at step 8, the instance forgotten, a presumed abort at step 216
     * whose FINISH(ABORT) reached a straggler holding the accepted COMMIT, read back at step 220.
     */
    @Test
    void seed2625PresumesTheAbortOfACommitThatWasCarriedOutAndForgotten() {
        PaxosSimulation.Summary summary = new PaxosSimulation(2625, FaultKind.all(), Breakage.NONE, false).run();

        assertThat(summary.count(Counter.PRESUMED_ABORTS_OF_FORGOTTEN_COMMITS)).isPositive();
    }

    private void chooseCommit() {
        checker.prepared(G, "db-a");
        checker.prepared(G, "db-b");
        checker.accepted("n1", new AcceptorRecord.Accepted(G, Ballot.coordinator("n1"), COMMIT));
        checker.accepted("n2", new AcceptorRecord.Accepted(G, Ballot.coordinator("n1"), COMMIT));
    }
}
