package io.quorumtx.tm;

import io.quorumtx.tm.testkit.InMemoryCommitLog;
import java.time.Duration;

/** Builds managers over an in-memory log with fast retries, for tests. */
final class TmFixture {
    private TmFixture() {
    }

    static QuorumTransactionManager manager(InMemoryCommitLog log) {
        return QuorumTransactionManager.builder()
                .nodeId("test-node")
                .commitLog(log)
                .reaperInterval(Duration.ofMillis(20))
                .phase2Retry(Duration.ofMillis(5), Duration.ofMillis(40))
                .build();
    }
}
