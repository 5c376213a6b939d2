/**
 * Commit protocols: how the ended branches of a transaction are brought to one outcome.
 * {@link io.quorumtx.tm.protocol.CommitProtocol} is the seam; presumed-abort two-phase commit
 * ({@link io.quorumtx.tm.protocol.PresumedAbortTwoPhaseCommit}) is the first implementation and
 * 3PC will be the second. Phase-2 retries and heuristic classification live here too, so every
 * protocol treats XA answers alike.
 */
package io.quorumtx.tm.protocol;
