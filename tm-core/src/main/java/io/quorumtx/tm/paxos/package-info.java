/**
 * The Paxos-replicated commit log: one single-decree Paxos instance per transaction, keyed by its
 * global id, over 2F+1 acceptors.
 *
 * <p>{@link io.quorumtx.tm.paxos.AcceptorState} is the acceptor's pure state machine,
 * {@link io.quorumtx.tm.paxos.Proposal} the proposer's; both are deterministic and free of I/O
 * and threads, so the simulation tests drive exactly the code that runs in production.
 * {@link io.quorumtx.tm.paxos.AcceptorRecords} is the acceptor's durable record format, in the
 * framing of the local commit log.
 */
package io.quorumtx.tm.paxos;
