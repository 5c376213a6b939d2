package io.quorumtx.tm.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.quorumtx.tm.log.LogFixtures.commit;
import static io.quorumtx.tm.log.LogFixtures.gtrids;
import static org.assertj.core.api.Assertions.assertThat;

class LocalCommitLogGroupCommitTest {
    private static final int THREADS = 16;
    private static final int PER_THREAD = 200;

    @TempDir
    Path dir;

    @Test
    void concurrentCommitsShareForcesAndAllSurviveReopen() throws Exception {
        // A small queue also exercises back-pressure: committers block on a full queue.
        LocalCommitLog.Options options = LocalCommitLog.Options.builder().queueCapacity(8).build();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        LogStats stats;
        try (LocalCommitLog log = LocalCommitLog.open(dir, options)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < PER_THREAD; i++) {
                        String gtrid = "t" + thread + "-" + i;
                        log.logCommit(commit(gtrid));
                        // Durable means visible: the decision is there the moment logCommit returns.
                        assertThat(log.decision(gtrid)).isEqualTo(Decision.COMMIT);
                        if (i % 2 == 0) {
                            log.logEnd(gtrid);
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
            stats = log.stats();
        } finally {
            pool.shutdownNow();
        }
        int total = THREADS * PER_THREAD;
        assertThat(stats.commitsWritten()).isEqualTo(total);
        assertThat(stats.forces()).isPositive().isLessThan(total);
        try (LocalCommitLog log = LocalCommitLog.open(dir)) {
            List<String> expected = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                for (int i = 1; i < PER_THREAD; i += 2) {
                    expected.add("t" + t + "-" + i);
                }
            }
            assertThat(gtrids(log.unfinished())).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(log.decision("t3-0")).isEqualTo(Decision.UNKNOWN);
            assertThat(log.openReport().clean()).isTrue();
        }
    }
}
