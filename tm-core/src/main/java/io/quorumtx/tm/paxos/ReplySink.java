package io.quorumtx.tm.paxos;

/**
 * Where the answers to one request go: one call per acceptor, a reply or a failure, made on the
 * thread that completed that acceptor's answer (see {@link Outbox}). Implementations must be
 * quick and must not block.
 */
interface ReplySink {
    /** For requests nobody waits for (lazy and fire-and-forget FINISHes). */
    ReplySink IGNORE = (acceptor, reply) -> { };

    void reply(String acceptor, PaxosReply reply);

    /** The acceptor could not be asked: unreachable, refused, timed out, or its outbox is full or closed. */
    default void failed(String acceptor, Throwable cause) {
    }
}
