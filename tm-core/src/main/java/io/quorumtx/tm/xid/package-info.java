/**
 * QuorumTX Xids: {@code nodeId.bootEpoch.seq.begin} global ids (owner, incarnation, sequence, begin time) and resource-name branch qualifiers,
 * printable ASCII within XA's 64-byte limits, with parsing that tells our Xids from others'.
 */
package io.quorumtx.tm.xid;
