package io.quorumtx.tm.log;

/** What a commit log knows about one transaction. */
public enum Decision {
    /** A COMMIT record is durable: every branch must commit. */
    COMMIT,
    /** An ABORT was chosen explicitly (the Paxos log, 3PC recovery); every branch must roll back. */
    ABORT,
    /** Nothing is logged: under presumed abort, roll back once the transaction is old enough. */
    UNKNOWN
}
