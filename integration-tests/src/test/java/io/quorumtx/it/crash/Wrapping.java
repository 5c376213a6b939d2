package io.quorumtx.it.crash;

/** How one bank database is wrapped: the two ways an application can hand a database to QuorumTX. */
enum Wrapping {
    /** H2's own {@code XADataSource}, pooled by QuorumTX. */
    XA,
    /** A plain HikariCP pool plus {@code Dialect.h2()}: 2PC through H2's SQL. */
    DIALECT
}
