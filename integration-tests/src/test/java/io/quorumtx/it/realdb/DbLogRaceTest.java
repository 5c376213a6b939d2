package io.quorumtx.it.realdb;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.quorumtx.it.support.WrappingStyle;
import io.quorumtx.jdbc.RecoveryResources;
import io.quorumtx.jdbc.dblog.DatabaseCommitLog;
import io.quorumtx.tm.recovery.OwnerLiveness;
import io.quorumtx.tm.recovery.Recovery;
import io.quorumtx.tm.recovery.ResolveReport;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.testing.CrashPoint;
import jakarta.transaction.RollbackException;

/**
 * The race the database commit log is built to win: a coordinator is held just before its
 * decision branch's one-phase commit (its COMMIT row inserted, uncommitted; the other branches
 * prepared) while another node's recovery runs on the same transaction, believing the coordinator
 * dead (the worst case: a paused process whose lease lapsed). Recovery tries to insert the ABORT
 * row, which waits on the uncommitted COMMIT key; the coordinator is released at a random moment,
 * before, during or after that wait (the settle gives up after its timeout and leaves the
 * branches). Whatever the interleaving, each transfer is in every database or in none, the total
 * is conserved and no branch stays prepared.
 *
 * <p>Rounds per database: {@code -Dquorumtx.dblog.raceRounds=N} (default 8, brief in {@code verify}).
 */
class DbLogRaceTest {
    private static final int ROUNDS = Integer.getInteger("quorumtx.dblog.raceRounds", 8);
    private static final int ACCOUNTS = 4;

    @ParameterizedTest(name = "{0}")
    @EnumSource(DbLogTopology.class)
    void aCoordinatorHeldBeforeItsDecisionCommitAndARecoveringNodeNeverDecideDifferently(DbLogTopology topology,
            @TempDir Path dir) throws Exception {
        List<Bank> banks = topology.open(dir, ACCOUNTS, null);
        String nodeId = "race-" + UUID.randomUUID().toString().substring(0, 8);
        String prefix = DbLogTopology.newPrefix();
        List<AutoCloseable> pools = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        Hold hold = new Hold();
        try {
            DatabaseCommitLog coordinatorLog = DbLogTopology.log(banks.get(0), prefix, Duration.ofSeconds(30), pools);
            DatabaseCommitLog recoveringLog = DbLogTopology.log(banks.get(0), prefix, Duration.ofSeconds(30), pools);
            List<RecoverableResource> resources = new ArrayList<>();
            for (Bank b : banks) {
                resources.add(RecoveryResources.dialect(b.name(), b.plainDataSource(), b.dialect()));
            }
            // The recovering node takes the coordinator for dead, whatever its lease says.
            Recovery recovery = new Recovery(recoveringLog, resources, OwnerLiveness.stoppedNodes(Set.of(nodeId)),
                    Duration.ZERO);
            int committed = 0;
            int settledCommit = 0;
            try (RealDbCluster c = RealDbCluster.attach(banks, nodeId, null, WrappingStyle.DIALECT, 2,
                    b -> b.commitLog(coordinatorLog).crashInjector(hold).recoveryInterval(Duration.ofHours(1)))) {
                for (int round = 1; round <= ROUNDS; round++) {
                    CountDownLatch reached = hold.arm();
                    int account = 1 + round % ACCOUNTS;
                    Future<Boolean> commit = threads.submit(() -> transfer(c, account));
                    awaitHold(reached, commit, round);
                    Future<ResolveReport> recovered = threads.submit(() -> recovery.resolve(false));
                    // A random moment: before the ABORT insert, while it waits, or after it gave up.
                    Thread.sleep(ThreadLocalRandom.current().nextLong(0, 800));
                    hold.release();
                    boolean didCommit = commit.get(60, TimeUnit.SECONDS);
                    ResolveReport report = recovered.get(60, TimeUnit.SECONDS);
                    committed += didCommit ? 1 : 0;
                    settledCommit += report.steps().stream().anyMatch(s -> s.outcome()
                            == ResolveReport.Outcome.COMMITTED) ? 1 : 0;

                    for (Bank b : banks) {
                        assertThat(b.ops()).as("round %d: transfers in %s equal the committed ones (never mixed)",
                                round, b.name()).isEqualTo(committed);
                    }
                    assertThat(RealDbCrashRecoveryTest.preparedBranches(banks, nodeId)).as("round %d: in doubt", round)
                            .isEmpty();
                }
                long total = 0;
                for (Bank b : banks) {
                    total += b.total();
                }
                assertThat(total).isEqualTo(banks.stream().mapToLong(Bank::initialTotal).sum());
                assertThat(committed).as("a COMMIT row inserted before any prepare always wins: the recovering"
                        + " node's ABORT can only wait and fail").isEqualTo(ROUNDS);
                System.out.printf("DbLogRaceTest %s: %d rounds, all committed; the recovering node committed"
                        + " branches itself (after its ABORT insert failed on the COMMIT row) in %d%n", topology,
                        ROUNDS, settledCommit);
            }
        } finally {
            hold.release();
            threads.shutdownNow();
            for (AutoCloseable pool : pools) {
                pool.close();
            }
            for (Bank b : banks) {
                b.cleanUp(nodeId);
            }
            DbLogTopology.dropLogTables(banks.get(0), prefix);
        }
    }

    /**
     * Waits until the coordinator is held at its crash point; fails at once, with the transfer's
     * own outcome, if the transfer ended without reaching it, and with every thread's stack if
     * neither happened within the deadline (a stall is then visible, not just "false").
     */
    private static void awaitHold(CountDownLatch reached, Future<Boolean> commit, int round) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!reached.await(50, TimeUnit.MILLISECONDS)) {
            if (commit.isDone()) {
                Object outcome;
                try {
                    outcome = commit.get();
                } catch (ExecutionException e) {
                    throw new AssertionError("round " + round + ": the transfer ended before it reached "
                            + CrashPoint.BEFORE_DECISION_BRANCH_COMMIT, e.getCause());
                }
                throw new AssertionError("round " + round + ": the transfer ended (committed: " + outcome
                        + ") without reaching " + CrashPoint.BEFORE_DECISION_BRANCH_COMMIT);
            }
            if (System.nanoTime() - deadline > 0) {
                StringBuilder dump = new StringBuilder();
                for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
                    dump.append(t);
                }
                throw new AssertionError("round " + round + ": the coordinator did not reach "
                        + CrashPoint.BEFORE_DECISION_BRANCH_COMMIT + " within 30 s; threads:\n" + dump);
            }
        }
    }

    /** One transfer across every bank (amounts sum to zero); true if it committed, false if it rolled back. */
    private static boolean transfer(RealDbCluster c, int account) throws Exception {
        c.tm().begin();
        try {
            long sum = 0;
            for (int i = 1; i < c.size(); i++) {
                c.credit(i, account, 7);
                sum += 7;
            }
            c.credit(0, account, -sum);
        } catch (Exception e) {
            c.tm().rollback();
            throw e;
        }
        try {
            c.tm().commit();
            return true;
        } catch (RollbackException e) {
            return false;
        }
    }

    /** Holds the coordinator at {@link CrashPoint#BEFORE_DECISION_BRANCH_COMMIT} until released. */
    private static final class Hold implements CrashInjector {
        private final AtomicReference<CountDownLatch[]> latches = new AtomicReference<>();

        CountDownLatch arm() {
            CountDownLatch[] pair = {new CountDownLatch(1), new CountDownLatch(1)};
            latches.set(pair);
            return pair[0];
        }

        void release() {
            CountDownLatch[] pair = latches.get();
            if (pair != null) {
                pair[1].countDown();
            }
        }

        @Override
        public void reached(CrashPoint point, String gtrid) {
            CountDownLatch[] pair = latches.get();
            if (point != CrashPoint.BEFORE_DECISION_BRANCH_COMMIT || pair == null) {
                return;
            }
            pair[0].countDown();
            try {
                if (!pair[1].await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the race test never released the coordinator");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
