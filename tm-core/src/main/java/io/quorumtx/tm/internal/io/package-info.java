/**
 * File machinery shared by the local commit log ({@code log.internal}) and the Paxos acceptor's log
 * ({@code paxos}): the checksummed frame ({@link io.quorumtx.tm.internal.io.Frames}) and the
 * exclusive directory lock ({@link io.quorumtx.tm.internal.io.DirectoryLock}). It depends on no
 * other QuorumTX package, so both may use it without reaching into each other. Not for users.
 */
package io.quorumtx.tm.internal.io;
