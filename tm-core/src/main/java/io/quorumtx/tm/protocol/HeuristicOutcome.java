package io.quorumtx.tm.protocol;

import io.quorumtx.tm.QuorumTransactionManager;
import java.time.Instant;
import java.util.Objects;

/**
 * A branch whose resource manager decided on its own, or whose outcome could not be learned:
 * the outcome may differ from the transaction's decision. Kept by the transaction manager
 * ({@link QuorumTransactionManager#heuristicOutcomes()}) so operators and the recovery tool can see
 * every one of them; QuorumTX never hides a heuristic.
 *
 * @param gtrid the global transaction id
 * @param resourceName the resource the branch lives in
 * @param branchQualifier the branch qualifier of the branch's Xid
 * @param decision what the transaction decided: {@code COMMIT} or {@code ROLLBACK}
 * @param kind what the branch reported
 * @param detail the XA error code name and what happened
 * @param at when it was observed
 */
public record HeuristicOutcome(String gtrid, String resourceName, String branchQualifier,
        Decision decision, Kind kind, String detail, Instant at) {

    public HeuristicOutcome {
        Objects.requireNonNull(gtrid, "gtrid");
        Objects.requireNonNull(resourceName, "resourceName");
        Objects.requireNonNull(branchQualifier, "branchQualifier");
        Objects.requireNonNull(decision, "decision");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(at, "at");
    }

    /** The transaction's own decision. */
    public enum Decision { COMMIT, ROLLBACK }

    /** What the resource manager reported for the branch. */
    public enum Kind {
        /** XA_HEURCOM: the branch committed on its own. */
        COMMITTED,
        /** XA_HEURRB: the branch rolled back on its own. */
        ROLLED_BACK,
        /** XA_HEURMIX: part of the branch committed and part rolled back. */
        MIXED,
        /** XA_HEURHAZ, or a one-phase commit whose result never came back: the outcome is unknown. */
        HAZARD
    }

    /** True when the branch's outcome is not the transaction's decision (or may not be). */
    public boolean contradictsDecision() {
        return switch (kind) {
            case COMMITTED -> decision == Decision.ROLLBACK;
            case ROLLED_BACK -> decision == Decision.COMMIT;
            case MIXED, HAZARD -> true;
        };
    }
}
