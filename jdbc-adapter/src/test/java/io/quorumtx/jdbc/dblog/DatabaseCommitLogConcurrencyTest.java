package io.quorumtx.jdbc.dblog;

import static io.quorumtx.testsupport.H2Bank.balance;
import static io.quorumtx.testsupport.H2Bank.inDoubt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.jdbc.testing.Wrapped.Style;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.xid.XidFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The database log under concurrency: a settle racing a held coordinator, and group commit. */
class DatabaseCommitLogConcurrencyTest {

    private static final Duration LEASE = Duration.ofSeconds(30);

    @TempDir
    Path directory;

    private DbLogFixture db;

    @BeforeEach
    void start() throws Exception {
        db = new DbLogFixture(directory);
    }

    @AfterEach
    void stop() throws Exception {
        db.close();
    }

    /**
     * A coordinator is held just before its carrier's one-phase commit (the COMMIT row is written,
     * uncommitted; the other branch is prepared) while another node settles the same gtrid. The
     * settle must wait and give up ("cannot tell now"), never decide ABORT; once released the
     * transaction commits everywhere. Repeated, with the release at random points: never mixed.
     */
    @Test
    void aSettleNeverAbortsACommitThatIsAboutToHappen() throws Exception {
        int rounds = 15;
        SynchronousQueue<String> held = new SynchronousQueue<>();
        SynchronousQueue<Boolean> release = new SynchronousQueue<>();
        DatabaseCommitLog log = db.log(db.urlA, "bank-a", LEASE);
        QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("coordinator").commitLog(log)
                .crashInjector((point, gtrid) -> {
                    if (point == CrashPoint.BEFORE_DECISION_BRANCH_COMMIT) {
                        try {
                            held.put(gtrid);
                            release.take();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }).build();
        DatabaseCommitLog settler = db.startedLog(db.urlA, "settler", new XidFactory("settler").epoch(), LEASE);
        ExecutorService app = Executors.newSingleThreadExecutor();
        try (Wrapped bankA = Wrapped.of(Style.DIALECT, tm, "bank-a", db.urlA);
             Wrapped bankB = Wrapped.of(Style.XA, tm, "bank-b", db.urlB)) {
            java.util.Random random = new java.util.Random();
            long seed = random.nextLong();
            random.setSeed(seed);
            for (int i = 0; i < rounds; i++) {
                Future<?> commit = app.submit(() -> {
                    tm.begin();
                    try (Connection a = bankA.dataSource().getConnection();
                         Connection b = bankB.dataSource().getConnection()) {
                        H2Bank.addToBalance(a, 1, -1);
                        H2Bank.addToBalance(b, 1, 1);
                    }
                    tm.commit();
                    return null;
                });
                String gtrid = held.poll(30, TimeUnit.SECONDS);
                assertThat(gtrid).as("the coordinator reached its decision commit").isNotNull();
                int mode = random.nextInt(3);
                CompletableFuture<Decision> settled = CompletableFuture.supplyAsync(() -> settle(settler, gtrid));
                if (mode == 0) {
                    // settled entirely while the COMMIT row is uncommitted: it must wait and give up
                    assertThat(settled.get(30, TimeUnit.SECONDS)).as("round %d (seed %d): settle while held", i, seed)
                            .isEqualTo(Decision.UNKNOWN);
                } else if (mode == 1) {
                    Thread.sleep(random.nextInt(250)); // a random point, usually inside the settle's lock wait
                }
                release.put(true);
                commit.get(30, TimeUnit.SECONDS);
                Decision d = settled.get(30, TimeUnit.SECONDS);
                assertThat(d).as("round %d (seed %d, mode %d): a settle racing the commit never decides ABORT", i, seed,
                        mode).isNotEqualTo(Decision.ABORT);
                assertThat(log.decision(gtrid)).as("round %d: the COMMIT row stands", i).isEqualTo(Decision.COMMIT);
            }
            assertThat(balance(db.urlA, 1)).as("every transfer committed in a").isEqualTo(1000 - rounds);
            assertThat(balance(db.urlB, 1)).as("every transfer committed in b").isEqualTo(1000 + rounds);
            assertThat(inDoubt(db.urlA) + inDoubt(db.urlB)).isZero();
        } finally {
            app.shutdownNow();
            tm.close();
        }
    }

    /** COMMIT if settled so, UNKNOWN if it could not tell now (the lock wait timed out). */
    private static Decision settle(DatabaseCommitLog settler, String gtrid) {
        try {
            return settler.settle(gtrid);
        } catch (CommitLogException e) {
            return Decision.UNKNOWN;
        }
    }

    @Test
    void concurrentStandaloneDecisionsShareCommits() throws Exception {
        XidFactory xids = new XidFactory("solo");
        DatabaseCommitLog log = db.startedLog(db.urlC, "solo", xids.epoch(), LEASE);
        int threads = 16;
        int perThread = 20;
        long decisions = (long) threads * perThread;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                        log.logCommit(new CommitRecord(xids.newGtrid(), List.of(new BranchRecord("bank-b", "1")),
                                System.currentTimeMillis()));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        DatabaseCommitLog.Stats stats = log.stats();
        assertThat(stats.standaloneDecisions()).isEqualTo(decisions);
        assertThat(stats.standaloneCommits()).as("group commit: fewer local commits than decisions")
                .isLessThan(decisions);
        assertThat(log.unfinished()).hasSize((int) decisions);
        if (stats.standaloneCommits() == 0) {
            fail("no commit counted");
        }
    }
}
