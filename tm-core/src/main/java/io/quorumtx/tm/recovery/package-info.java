/**
 * Recovery: finding the prepared branches of QuorumTX transactions in every resource and bringing
 * each to its transaction's outcome. {@link io.quorumtx.tm.recovery.Recovery} is the one engine,
 * used by the transaction manager's periodic recovery pass and by the {@code quorumtx.jar} tool,
 * so both always decide alike: logged COMMIT means commit; no decision, an owner that can no
 * longer decide and an age past the safety interval mean roll back (presumed abort); anything
 * else is left, with the reason.
 */
package io.quorumtx.tm.recovery;
