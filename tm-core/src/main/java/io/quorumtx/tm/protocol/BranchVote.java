package io.quorumtx.tm.protocol;

import javax.transaction.xa.XAException;

/**
 * What one branch answered to prepare: the classified outcome and, unless it voted yes or
 * read-only, the failure that says why. The serial and the parallel prepare both read votes
 * through this, so they classify answers alike.
 */
record BranchVote(XaOutcome outcome, Exception failure) {

    /** Prepares {@code p} and classifies its answer; never throws what the resource threw. */
    static BranchVote prepare(Participant p) {
        try {
            int returned = p.resource().prepare(p.xid());
            XaOutcome vote = XaOutcome.returned(XaCall.PREPARE, returned);
            if (vote != XaOutcome.PREPARED && vote != XaOutcome.READ_ONLY) {
                return new BranchVote(vote, new IllegalStateException("prepare returned " + returned
                        + ", which is neither XA_OK nor XA_RDONLY"));
            }
            return new BranchVote(vote, null);
        } catch (XAException e) {
            return new BranchVote(XaOutcome.threw(XaCall.PREPARE, e.errorCode), e);
        } catch (RuntimeException e) {
            return new BranchVote(XaOutcome.threwUnchecked(XaCall.PREPARE), e);
        }
    }

    boolean yes() {
        return outcome == XaOutcome.PREPARED;
    }

    boolean readOnly() {
        return outcome == XaOutcome.READ_ONLY;
    }

    /** A NO vote: the branch is rolled back and gone. Any other failure may have left it prepared. */
    boolean rolledBack() {
        return outcome == XaOutcome.ROLLED_BACK;
    }
}
