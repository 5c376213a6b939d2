package io.quorumtx.tm.log;

import io.quorumtx.testsupport.Poll;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.quorumtx.tm.log.LogFixtures.commit;
import static io.quorumtx.tm.log.LogFixtures.gtrids;
import static org.assertj.core.api.Assertions.assertThat;

class LocalCommitLogCloseTest {
    @TempDir
    Path dir;

    @Test
    void closeUnderLoadKeepsEveryAcknowledgedCommitAndWritesNoneReportedAsNotWritten() throws Exception {
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        Set<String> notWritten = ConcurrentHashMap.newKeySet();
        Set<String> other = ConcurrentHashMap.newKeySet();
        AtomicInteger started = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        LocalCommitLog log = LocalCommitLog.open(dir, LocalCommitLog.Options.builder().queueCapacity(4).build());
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < 8; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; ; i++) {
                        String gtrid = "t" + thread + "-" + i;
                        started.incrementAndGet();
                        try {
                            log.logCommit(commit(gtrid));
                            acknowledged.add(gtrid);
                        } catch (CommitLogException e) {
                            (e.definitelyNotWritten() ? notWritten : other).add(gtrid);
                            return null;
                        }
                    }
                }));
            }
            Poll.until("commits are flowing", Duration.ofSeconds(10), () -> acknowledged.size() > 100);
            log.close();
            for (Future<?> future : futures) {
                future.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(other).as("a clean close leaves nothing in doubt").isEmpty();
        assertThat(notWritten).hasSize(8);
        try (LocalCommitLog reopened = LocalCommitLog.open(dir)) {
            List<String> present = gtrids(reopened.unfinished());
            assertThat(present).containsAll(acknowledged).doesNotContainAnyElementsOf(notWritten);
        }
    }
}
