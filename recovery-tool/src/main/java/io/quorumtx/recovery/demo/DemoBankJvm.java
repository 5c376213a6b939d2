package io.quorumtx.recovery.demo;

import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.QuorumTransactionManagerBuilder;
import jakarta.transaction.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The application JVM of the demo, the one that gets killed. It moves money between the two
 * databases, then leaves two transactions unfinished at the moment the demo's parent kills it:
 * <ul>
 *   <li>{@code X} (carol to dave) stops after both branches are prepared, before its commit
 *       decision is logged: the classic in-doubt transaction, which must be rolled back;</li>
 *   <li>{@code Y} (alice to bob) stops between its two phase-2 commits: the decision is durable
 *       and one database already committed, so the other must be committed too.</li>
 * </ul>
 * With the database commit log (third argument {@code database}), X is held before bank-a's
 * one-phase commit (its COMMIT row written but uncommitted) and Y after it (decided; bank-b still
 * prepared). A {@link CrashInjector} holds each transaction at its point; the parent, told so on stdout,
 * kills this JVM with SIGKILL.
 *
 * <p>Protocol on stdout: {@code SAY <text>} for the user; {@code ACK <id>} when a transfer's
 * commit returned; {@code HELD <point> <gtrid>} when a transaction is held at a point;
 * {@code KILL-ME} when the parent should kill.
 */
public final class DemoBankJvm {
    /** Used only if the parent never kills this JVM (it died itself): do not linger. */
    private static final Duration ORPHAN_TIMEOUT = Duration.ofSeconds(60);

    private DemoBankJvm() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int transfers = Integer.parseInt(args[1]);
        boolean databaseLog = args.length > 2 && args[2].equals("database");
        Holds holds = new Holds();
        QuorumTransactionManagerBuilder builder = QuorumTransactionManager.builder().nodeId(DemoBank.NODE_ID);
        if (databaseLog) {
            builder.commitLog(DatabaseLogRecovery.log(dir)); // nothing on this node's disk
        } else {
            builder.logDirectory(DemoBank.logDirectory(dir));
        }
        try (QuorumTransactionManager tm = builder
                        .defaultTimeout(Duration.ofSeconds(60))
                        .crashInjector(holds)
                        .build();
                DemoBank bank = new DemoBank(tm, dir)) {
            Random random = new Random(42);
            List<String> inA = List.of("alice", "carol");
            List<String> inB = List.of("bob", "dave");
            for (int i = 1; i <= transfers; i++) {
                boolean aToB = random.nextBoolean();
                String from = (aToB ? inA : inB).get(random.nextInt(2));
                String to = (aToB ? inB : inA).get(random.nextInt(2));
                long amount = 10L + random.nextInt(90);
                transfer(tm, bank, "t" + i, from, to, amount);
                say(String.format("transfer t%-2d %-5s -> %-5s %3d  committed", i, from, to, amount));
            }

            holds.hold(databaseLog ? CrashPoint.BEFORE_DECISION_BRANCH_COMMIT : CrashPoint.AFTER_ALL_PREPARED);
            say(databaseLog ? "transfer X  carol -> dave  300  commit() starts; COMMIT row written in bank-a's branch,"
                    + " bank-b prepares; held before bank-a's one-phase commit (the commit point)"
                    : "transfer X  carol -> dave  300  commit() starts; both branches prepare; held before the COMMIT record");
            Thread x = new Thread(() -> transferQuietly(tm, bank, "X", "carol", "dave", 300), "transfer-X");
            x.setDaemon(true);
            x.start();
            holds.awaitHeld();

            holds.hold(databaseLog ? CrashPoint.AFTER_DECISION_BRANCH_COMMIT : CrashPoint.BETWEEN_PHASE2_COMMITS);
            say(databaseLog ? "transfer Y  alice -> bob   200  commit() starts; bank-a commits with its COMMIT row;"
                    + " held before bank-b's commit"
                    : "transfer Y  alice -> bob   200  commit() starts; COMMIT record forced; held after the first phase-2 commit");
            Thread y = new Thread(() -> transferQuietly(tm, bank, "Y", "alice", "bob", 200), "transfer-Y");
            y.setDaemon(true);
            y.start();
            holds.awaitHeld();

            emit("KILL-ME");
            holdUntilKilled();
        }
    }

    private static void transfer(QuorumTransactionManager tm, DemoBank bank, String id, String from, String to,
            long amount) throws Exception {
        tm.begin();
        try {
            bank.move(id, from, to, amount);
            tm.commit();
            emit("ACK " + id);
        } finally {
            if (tm.getStatus() != Status.STATUS_NO_TRANSACTION) {
                tm.rollback();
            }
        }
    }

    private static void transferQuietly(QuorumTransactionManager tm, DemoBank bank, String id, String from,
            String to, long amount) {
        try {
            transfer(tm, bank, id, from, to, amount);
        } catch (Exception e) {
            say("transfer " + id + " failed: " + e);
        }
    }

    /** Blocks the calling thread until the parent's SIGKILL; an orphan halts itself after a while. */
    private static void holdUntilKilled() {
        long deadline = System.nanoTime() + ORPHAN_TIMEOUT.toNanos();
        while (deadline - System.nanoTime() > 0) {
            LockSupport.parkNanos(deadline - System.nanoTime());
        }
        Runtime.getRuntime().halt(3);
    }

    static void say(String text) {
        emit("SAY " + text);
    }

    private static void emit(String line) {
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }

    /**
     * Holds the next transaction that reaches the armed point there, for good: its thread never
     * returns, so the JVM dies with that commit unfinished.
     */
    private static final class Holds implements CrashInjector {
        private final AtomicReference<CrashPoint> armed = new AtomicReference<>();
        private volatile CountDownLatch held = new CountDownLatch(1);

        void hold(CrashPoint point) {
            held = new CountDownLatch(1);
            armed.set(point);
        }

        void awaitHeld() throws InterruptedException {
            if (!held.await(ORPHAN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                say("no transaction reached " + armed.get() + " within " + ORPHAN_TIMEOUT);
                Runtime.getRuntime().halt(4);
            }
        }

        @Override
        public void reached(CrashPoint point, String gtrid) {
            if (armed.compareAndSet(point, null)) {
                emit("HELD " + point + " " + gtrid);
                held.countDown();
                holdUntilKilled();
            }
        }
    }
}
