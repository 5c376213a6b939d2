package io.quorumtx.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
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
import org.junit.jupiter.params.provider.EnumSource;

import io.quorumtx.it.support.BankCluster;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.it.support.WrappingStyle;
import jakarta.transaction.RollbackException;
import jakarta.transaction.TransactionManager;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Many threads moving money across three databases at once: every transaction commits, the
 * total is conserved, every database holds exactly one update per transaction, and nothing is
 * left in doubt.
 */
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class ConcurrentTransfersTest {
    private static final int THREADS = 8;
    private static final int TRANSFERS_PER_THREAD = 200;
    private static final int ACCOUNTS = 50;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void eightThreadsMovingMoneyAcrossThreeDatabasesConserveTheTotal(WrappingStyle style) throws Exception {
        try (BankCluster c = BankCluster.start(dir, style, 3, ACCOUNTS, THREADS)) {
            TransactionManager tm = c.tm();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            try {
                for (int t = 0; t < THREADS; t++) {
                    results.add(pool.submit(() -> {
                        start.await();
                        for (int i = 0; i < TRANSFERS_PER_THREAD; i++) {
                            transfer(c, tm);
                        }
                        return TRANSFERS_PER_THREAD;
                    }));
                }
                start.countDown();
                int committed = 0;
                for (Future<Integer> r : results) {
                    committed += r.get(60, TimeUnit.SECONDS);
                }
                assertThat(committed).isEqualTo(THREADS * TRANSFERS_PER_THREAD);
            } finally {
                pool.shutdownNow();
            }

            assertThat(c.total()).isEqualTo(c.initialTotal());
            for (int i = 0; i < c.size(); i++) {
                assertThat(c.bank(i).ops()).as("updates kept by " + c.bank(i))
                        .isEqualTo((long) THREADS * TRANSFERS_PER_THREAD);
                assertThat(c.bank(i).inDoubt()).as("in doubt in " + c.bank(i)).isZero();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WrappingStyle.class)
    void concurrentTransfersWithBranchesVotingNoKeepExactlyTheCommittedOnes(WrappingStyle style) throws Exception {
        int perThread = 100;
        int refusals = 50;
        try (BankCluster c = BankCluster.start(dir, style, 3, ACCOUNTS, THREADS)) {
            TransactionManager tm = c.tm();
            c.faults(2).refuseNextPrepares(refusals);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<int[]>> results = new ArrayList<>();
            try {
                for (int t = 0; t < THREADS; t++) {
                    results.add(pool.submit(() -> {
                        start.await();
                        int committed = 0;
                        int rolledBack = 0;
                        for (int i = 0; i < perThread; i++) {
                            try {
                                transfer(c, tm);
                                committed++;
                            } catch (RollbackException e) {
                                rolledBack++;
                            }
                        }
                        return new int[] {committed, rolledBack};
                    }));
                }
                start.countDown();
                int committed = 0;
                int rolledBack = 0;
                for (Future<int[]> r : results) {
                    int[] counts = r.get(60, TimeUnit.SECONDS);
                    committed += counts[0];
                    rolledBack += counts[1];
                }
                assertThat(c.faults(2).preparesRefused()).isEqualTo(refusals);
                assertThat(rolledBack).as("one rollback per no vote").isEqualTo(refusals);
                assertThat(committed).isEqualTo(THREADS * perThread - refusals);

                assertThat(c.total()).isEqualTo(c.initialTotal());
                for (int i = 0; i < c.size(); i++) {
                    assertThat(c.bank(i).ops()).as("updates kept by " + c.bank(i)).isEqualTo(committed);
                    assertThat(c.bank(i).inDoubt()).as("in doubt in " + c.bank(i)).isZero();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * One row in each database, always in the order a, b, c (so transfers cannot deadlock);
     * the three amounts sum to zero. A failure propagates and fails the test.
     */
    private static void transfer(BankCluster c, TransactionManager tm) throws Exception {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long x = 1L + r.nextInt(20);
        long y = 1L + r.nextInt(20);
        long[] delta = r.nextBoolean() ? new long[] {-(x + y), x, y} : new long[] {x + y, -x, -y};
        tm.begin();
        try {
            for (int i = 0; i < 3; i++) {
                try (Connection con = c.dataSource(i).getConnection()) {
                    H2Bank.update(con, H2Bank.CREDIT, 1 + r.nextInt(ACCOUNTS), delta[i]);
                }
            }
        } catch (Exception e) {
            tm.rollback();
            throw e;
        }
        tm.commit();
    }
}
