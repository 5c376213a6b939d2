package io.quorumtx.tm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.testkit.ScriptedXAResource;
import io.quorumtx.tm.testkit.ScriptedXAResource.Op;
import io.quorumtx.tm.xid.QuorumXid;
import jakarta.transaction.RollbackException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.transaction.xa.XAException;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.Test;

/**
 * {@link BranchExecution}: branches on servers are prepared, committed and rolled back side by
 * side, embedded ones one after the other, with the same outcomes (the exhaustive comparison of
 * every scripted vote is {@link BranchExecutionOutcomesTest}).
 */
class BranchExecutionTest {
    /** Long enough for a loaded 2-core machine to start the other branch; only a broken build waits it out. */
    private static final Duration MEET = Duration.ofSeconds(10);

    private static QuorumTransactionManager manager(String node, BranchExecution execution, int threads) {
        return QuorumTransactionManager.builder().nodeId(node).commitLog(new InMemoryCommitLog())
                .reaperInterval(Duration.ofMillis(20)).phase2Retry(Duration.ofMillis(5), Duration.ofMillis(40))
                .branchExecution(execution, threads).build();
    }

    /** A hook that returns once {@code parties} calls have entered it, or fails after {@code deadline}. */
    private static Runnable meeting(CountDownLatch latch, Duration deadline) {
        return () -> {
            latch.countDown();
            try {
                if (!latch.await(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("the other branch never entered the same call: not side by side");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        };
    }

    private static void commitTwoBranches(QuorumTransactionManager tm, ScriptedXAResource... resources)
            throws Exception {
        tm.begin();
        for (ScriptedXAResource r : resources) {
            tm.getTransaction().enlistResource(r);
        }
        tm.commit();
    }

    @Test
    void preparesOfTwoServerBranchesOverlapSoEachCanWaitForTheOther() throws Exception {
        CountDownLatch bothPreparing = new CountDownLatch(2);
        ScriptedXAResource a = new ScriptedXAResource("a").remote().onCall(Op.PREPARE, meeting(bothPreparing, MEET));
        ScriptedXAResource b = new ScriptedXAResource("b").remote().onCall(Op.PREPARE, meeting(bothPreparing, MEET));
        try (QuorumTransactionManager tm = manager("overlap", BranchExecution.AUTO, 4)) {
            commitTwoBranches(tm, a, b);
        }
        assertThat(a.committed()).hasSize(1);
        assertThat(b.committed()).hasSize(1);
    }

    /** The behaviour before parallel branches, and under SERIAL: the first prepare waits alone and gives up. */
    @Test
    void serialModePreparesOneBranchAfterTheOtherSoTheyNeverMeet() throws Exception {
        CountDownLatch bothPreparing = new CountDownLatch(2);
        Duration shortWait = Duration.ofMillis(300);
        ScriptedXAResource a = new ScriptedXAResource("a").remote().onCall(Op.PREPARE, meeting(bothPreparing, shortWait));
        ScriptedXAResource b = new ScriptedXAResource("b").remote().onCall(Op.PREPARE, meeting(bothPreparing, shortWait));
        try (QuorumTransactionManager tm = manager("serial", BranchExecution.SERIAL, 4)) {
            assertThatThrownBy(() -> commitTwoBranches(tm, a, b)).isInstanceOf(RollbackException.class)
                    .hasRootCauseMessage("the other branch never entered the same call: not side by side");
        }
        assertThat(a.committed()).isEmpty();
        assertThat(b.count(Op.PREPARE)).as("b is never prepared after a failed").isZero();
    }

    @Test
    void aNoVoteWhileAnotherBranchIsStillPreparingRollsBothBack() throws Exception {
        ScriptedXAResource b = new ScriptedXAResource("b").remote().voteNo();
        ScriptedXAResource a = new ScriptedXAResource("a").remote().onCall(Op.PREPARE,
                () -> Poll.until("b voted no while a is preparing", MEET, () -> b.count(Op.PREPARE) == 1));
        InMemoryCommitLog log = new InMemoryCommitLog();
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("novote").commitLog(log)
                .branchExecution(BranchExecution.AUTO).build()) {
            assertThatThrownBy(() -> commitTwoBranches(tm, a, b)).isInstanceOf(RollbackException.class)
                    .hasMessageContaining("resource b voted no").hasCauseInstanceOf(XAException.class);
        }
        assertThat(a.prepared()).as("a, prepared after b's no, is rolled back").isEmpty();
        assertThat(a.rolledBack()).hasSize(1);
        assertThat(b.rolledBack()).as("b rolled itself back with its no").hasSize(1);
        assertThat(b.count(Op.ROLLBACK)).as("a no-voter is not rolled back again").isZero();
        assertThat(a.committed()).isEmpty();
        assertThat(log.commits()).as("nothing decided, nothing logged").isEmpty();
    }

    @Test
    void phaseTwoCommitsOfServerBranchesOverlap() throws Exception {
        CountDownLatch bothCommitting = new CountDownLatch(2);
        ScriptedXAResource a = new ScriptedXAResource("a").remote().onCall(Op.COMMIT, meeting(bothCommitting, MEET));
        ScriptedXAResource b = new ScriptedXAResource("b").remote().onCall(Op.COMMIT, meeting(bothCommitting, MEET));
        InMemoryCommitLog log = new InMemoryCommitLog();
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("phase2").commitLog(log).build()) {
            commitTwoBranches(tm, a, b);
            assertThat(tm.pendingPhase2Retries()).as("both commits succeeded at once, nothing to retry").isZero();
        }
        assertThat(a.committed()).hasSize(1);
        assertThat(b.committed()).hasSize(1);
        assertThat(log.ends()).hasSize(1);
    }

    @Test
    void rollbackOfServerBranchesOverlaps() throws Exception {
        CountDownLatch bothRollingBack = new CountDownLatch(2);
        ScriptedXAResource a = new ScriptedXAResource("a").remote().onCall(Op.ROLLBACK, meeting(bothRollingBack, MEET));
        ScriptedXAResource b = new ScriptedXAResource("b").remote().onCall(Op.ROLLBACK, meeting(bothRollingBack, MEET));
        try (QuorumTransactionManager tm = manager("rollback", BranchExecution.AUTO, 4)) {
            tm.begin();
            tm.getTransaction().enlistResource(a);
            tm.getTransaction().enlistResource(b);
            tm.rollback();
        }
        assertThat(a.rolledBack()).hasSize(1);
        assertThat(b.rolledBack()).hasSize(1);
    }

    /** Which threads prepared the branches of one transaction. */
    private static Set<String> preparingThreads(BranchExecution execution, boolean aRemote, boolean bRemote)
            throws Exception {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        Runnable note = () -> threads.add(Thread.currentThread().getName());
        ScriptedXAResource a = new ScriptedXAResource("a").onCall(Op.PREPARE, note);
        ScriptedXAResource b = new ScriptedXAResource("b").onCall(Op.PREPARE, note);
        if (aRemote) {
            a.remote();
        }
        if (bRemote) {
            b.remote();
        }
        try (QuorumTransactionManager tm = manager("choice", execution, 4)) {
            commitTwoBranches(tm, a, b);
        }
        return threads;
    }

    @Test
    void autoIsSerialForEmbeddedDatabasesAndParallelForServers() throws Exception {
        String me = Thread.currentThread().getName();
        assertThat(preparingThreads(BranchExecution.AUTO, false, false)).as("two embedded: serial").containsExactly(me);
        assertThat(preparingThreads(BranchExecution.AUTO, true, false)).as("one server: serial").containsExactly(me);
        assertThat(preparingThreads(BranchExecution.AUTO, true, true)).as("two servers: parallel")
                .containsExactlyInAnyOrder(me, "quorumtx-choice-branch");
        assertThat(preparingThreads(BranchExecution.SERIAL, true, true)).as("SERIAL").containsExactly(me);
        assertThat(preparingThreads(BranchExecution.PARALLEL, false, false)).as("PARALLEL, even embedded")
                .containsExactlyInAnyOrder(me, "quorumtx-choice-branch");
    }

    @Test
    void aBusyExecutorMakesTheCommittingThreadDoTheBranchesItselfInsteadOfWaiting() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ScriptedXAResource slow = new ScriptedXAResource("slow").remote().onCall(Op.PREPARE, () -> {
            if (!Thread.currentThread().getName().startsWith("quorumtx-busy-branch")) {
                return;
            }
            holding.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try (QuorumTransactionManager tm = manager("busy", BranchExecution.AUTO, 1)) {
            ExecutorService app = Executors.newSingleThreadExecutor();
            try {
                // The only branch thread is held by the first transaction's second branch.
                Future<?> first = app.submit(() -> {
                    commitTwoBranches(tm, new ScriptedXAResource("fast").remote(), slow);
                    return null;
                });
                assertThat(holding.await(MEET.toSeconds(), TimeUnit.SECONDS)).as("branch thread busy").isTrue();
                Set<String> threads = ConcurrentHashMap.newKeySet();
                Runnable note = () -> threads.add(Thread.currentThread().getName());
                ScriptedXAResource c = new ScriptedXAResource("c").remote().onCall(Op.PREPARE, note);
                ScriptedXAResource d = new ScriptedXAResource("d").remote().onCall(Op.PREPARE, note);
                commitTwoBranches(tm, c, d);
                assertThat(threads).as("no free branch thread: this thread prepared both")
                        .containsExactly(Thread.currentThread().getName());
                assertThat(c.committed()).hasSize(1);
                assertThat(d.committed()).hasSize(1);
                assertThat(first).as("the first transaction still waits for its branch").isNotDone();
                release.countDown();
                first.get(MEET.toSeconds(), TimeUnit.SECONDS);
                assertThat(slow.committed()).hasSize(1);
            } finally {
                release.countDown();
                app.shutdownNow();
            }
        }
    }

    @Test
    void sixtyFourCommittingThreadsUseAtMostTheConfiguredBranchThreads() throws Exception {
        int threads = 64;
        int perThread = 20;
        Set<String> branchThreads = ConcurrentHashMap.newKeySet();
        List<ScriptedXAResource> all = java.util.Collections.synchronizedList(new ArrayList<>());
        try (QuorumTransactionManager tm = manager("many", BranchExecution.AUTO, 4)) {
            ExecutorService app = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    futures.add(app.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            List<ScriptedXAResource> rs = new ArrayList<>();
                            for (String name : List.of("x", "y", "z")) {
                                rs.add(new ScriptedXAResource(name).remote().onCall(Op.PREPARE,
                                        () -> branchThreads.add(Thread.currentThread().getName())));
                            }
                            all.addAll(rs);
                            commitTwoBranches(tm, rs.toArray(new ScriptedXAResource[0]));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                app.shutdownNow();
            }
        }
        assertThat(all).hasSize(threads * perThread * 3).allSatisfy(r -> assertThat(r.committed()).hasSize(1));
        assertThat(branchThreads.stream().filter(n -> n.startsWith("quorumtx-many-branch")).count())
                .as("distinct branch threads ever used").isBetween(1L, 4L);
    }

    @Test
    void closingTheManagerStopsItsBranchThreads() throws Exception {
        ScriptedXAResource a = new ScriptedXAResource("a").remote();
        ScriptedXAResource b = new ScriptedXAResource("b").remote();
        try (QuorumTransactionManager tm = manager("closing", BranchExecution.PARALLEL, 4)) {
            commitTwoBranches(tm, a, b);
        }
        Poll.until("no branch thread of the closed manager left", MEET, () -> Thread.getAllStackTraces().keySet()
                .stream().noneMatch(t -> t.getName().startsWith("quorumtx-closing-branch")));
    }

    @Test
    void buildRejectsFewerThanOneBranchThread() {
        assertThatThrownBy(() -> QuorumTransactionManager.builder().nodeId("n").commitLog(new InMemoryCommitLog())
                .branchExecution(BranchExecution.PARALLEL, 0).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("branchExecution maxThreads must be at least 1 (default 32), got 0");
    }

    static String gtridOf(ScriptedXAResource r) {
        Xid xid = r.firstXid();
        return ((QuorumXid) xid).gtrid();
    }
}
