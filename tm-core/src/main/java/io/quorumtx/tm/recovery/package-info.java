/**
 * Recovery: finding the prepared branches of QuorumTX transactions in every resource and bringing
 * each to its transaction's outcome. {@link io.quorumtx.tm.recovery.Recovery} is the one engine,
 * used by the transaction manager's periodic recovery pass and by the {@code quorumtx.jar} tool,
 * so both always decide alike: logged COMMIT means commit; no decision, an owner that can no
 * longer decide and an age past the safety interval mean roll back (presumed abort); anything
 * else is left, with the reason.
 *
 * <p>Inside, one job per class: {@code RecoveryRules} decides each branch from what was found
 * (pure, no resources), {@code PassLoop} runs the scan-plan-apply passes, {@code MarkerRepair}
 * keeps the three-phase-commit pre-commit markers, {@code BranchResolver} applies one step and reads
 * the answer through the shared {@link io.quorumtx.tm.protocol.XaOutcome}, {@code RecoveryPass}
 * is one scan with its open connections.
 */
package io.quorumtx.tm.recovery;
