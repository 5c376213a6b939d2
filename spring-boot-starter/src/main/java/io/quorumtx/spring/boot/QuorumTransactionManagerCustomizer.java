package io.quorumtx.spring.boot;

import io.quorumtx.tm.QuorumTransactionManagerBuilder;

/**
 * A bean of this type gets the manager's builder after the starter has applied the
 * {@code quorumtx.*} properties and before {@code build()}: for settings without a property (a
 * custom {@code CommitLog}, {@code LocalCommitLog.Options}, TLS between Paxos members, a crash
 * injector in a crash test). Customizers run in {@code @Order} order.
 */
@FunctionalInterface
public interface QuorumTransactionManagerCustomizer {
    void customize(QuorumTransactionManagerBuilder builder);
}
