package io.quorumtx.it.realdb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.quorumtx.it.support.WrappingStyle;
import jakarta.transaction.RollbackException;
import jakarta.transaction.TransactionManager;

/**
 * Several threads moving money across real databases at once, while the last database votes no
 * now and then: exactly the committed transfers are kept in every database, the total is
 * conserved, and no branch is left prepared (pg_prepared_xacts, XA RECOVER).
 */
class RealDbConcurrentTransfersTest {
    private static final int THREADS = 4;
    private static final int TRANSFERS_PER_THREAD = 40;
    private static final int REFUSALS = 10;
    private static final int ACCOUNTS = 20;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.quorumtx.it.realdb.Setups#all")
    void concurrentTransfersConserveTheTotalAndLeaveNothingInDoubt(Topology topology, WrappingStyle style)
            throws Exception {
        try (RealDbCluster c = RealDbCluster.start(dir, topology, style, ACCOUNTS, THREADS)) {
            TransactionManager tm = c.tm();
            c.faults(c.size() - 1).refuseNextPrepares(REFUSALS);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<int[]>> results = new ArrayList<>();
            int committed = 0;
            int rolledBack = 0;
            try {
                for (int t = 0; t < THREADS; t++) {
                    results.add(pool.submit(() -> {
                        start.await();
                        int ok = 0;
                        int no = 0;
                        for (int i = 0; i < TRANSFERS_PER_THREAD; i++) {
                            try {
                                transfer(c, tm);
                                ok++;
                            } catch (RollbackException e) {
                                no++;
                            }
                        }
                        return new int[] {ok, no};
                    }));
                }
                start.countDown();
                for (Future<int[]> r : results) {
                    int[] counts = r.get(90, TimeUnit.SECONDS);
                    committed += counts[0];
                    rolledBack += counts[1];
                }
            } finally {
                pool.shutdownNow();
            }

            assertThat(c.faults(c.size() - 1).preparesRefused()).isEqualTo(REFUSALS);
            assertThat(rolledBack).as("one rollback per no vote").isEqualTo(REFUSALS);
            assertThat(committed).isEqualTo(THREADS * TRANSFERS_PER_THREAD - REFUSALS);
            assertThat(c.total()).isEqualTo(c.initialTotal());
            for (int i = 0; i < c.size(); i++) {
                assertThat(c.bank(i).ops()).as("updates kept by " + c.bank(i)).isEqualTo(committed);
            }
            assertThat(c.preparedBranches()).isEmpty();
        }
    }

    /**
     * One row in each database, always in bank order (so transfers cannot deadlock); the amounts
     * sum to zero. Any failure other than a rollback propagates and fails the test.
     */
    private static void transfer(RealDbCluster c, TransactionManager tm) throws Exception {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long[] delta = new long[c.size()];
        long sum = 0;
        for (int i = 1; i < delta.length; i++) {
            delta[i] = r.nextInt(-20, 21);
            sum += delta[i];
        }
        delta[0] = -sum;
        tm.begin();
        try {
            for (int i = 0; i < delta.length; i++) {
                c.credit(i, 1 + r.nextInt(ACCOUNTS), delta[i]);
            }
        } catch (Exception e) {
            tm.rollback();
            throw e;
        }
        tm.commit();
    }
}
