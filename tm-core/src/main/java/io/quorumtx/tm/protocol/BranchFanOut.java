package io.quorumtx.tm.protocol;

import io.quorumtx.tm.spi.ResourceLocality;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Runs one XA call per branch of a transaction side by side: the committing thread does one
 * branch itself and hands each other one to a helper thread, then waits for all of them. On
 * database servers each prepare and each commit is a round trip plus a disk force on the server,
 * so two branches side by side take about as long as one.
 *
 * <p>Which branches: {@link #parallelFor} says whether a transaction's branches go side by side at
 * all (under {@code AUTO}, only when at least two of them are remote, see
 * {@link ResourceLocality}; an embedded database's XA call is a method call, cheaper than a thread
 * hop). The committing thread keeps the in-process branches and the first remote one; every other
 * branch is offered to the executor.
 *
 * <p>Why it cannot deadlock or queue behind others: the executor is bounded and has no queue (a
 * {@link SynchronousQueue}); a branch is handed over only to a thread that is free now or newly
 * made below the bound. When every helper is busy (many committing threads at once) the committing
 * thread does that branch itself, as in serial mode: no transaction ever waits for another one's
 * branches, and a saturated manager degrades to serial latency, not to a queue's. A helper runs
 * only an XA call and never waits for anything else.
 *
 * <p>Why the wait has no timeout: {@code commit()} decides only after every branch's XA call has
 * returned or failed, so no branch is left half-handled by a decision taken without it (a hung
 * call hangs the commit exactly as it would in serial mode). The wait ignores interrupts and
 * restores the flag afterwards. Results pass through the wait, which orders every helper's writes
 * before the committing thread reads them.
 *
 * <p>Owned by the manager (helper threads are daemons named like its others) and closed with it;
 * after {@link #close()} every branch runs on the committing thread.
 */
public final class BranchFanOut implements AutoCloseable {
    /** Helper threads of one manager unless configured otherwise. */
    public static final int DEFAULT_MAX_THREADS = 32;

    private static final BranchFanOut SERIAL = new BranchFanOut(null, false);

    private final ThreadPoolExecutor executor; // null: serial
    private final boolean onlyBetweenRemote;

    private BranchFanOut(ThreadPoolExecutor executor, boolean onlyBetweenRemote) {
        this.executor = executor;
        this.onlyBetweenRemote = onlyBetweenRemote;
    }

    /** Every branch one after the other on the committing thread. */
    public static BranchFanOut serial() {
        return SERIAL;
    }

    /**
     * Branches side by side on at most {@code maxThreads} helper threads made by {@code threads}.
     *
     * @param onlyBetweenRemote true: only when at least two branches are remote (AUTO); false:
     *     whenever there are two or more branches (PARALLEL)
     */
    public static BranchFanOut parallel(ThreadFactory threads, int maxThreads, boolean onlyBetweenRemote) {
        if (maxThreads < 1) {
            throw new IllegalArgumentException("maxThreads must be at least 1, got " + maxThreads);
        }
        ThreadPoolExecutor executor = new ThreadPoolExecutor(0, maxThreads, 60, TimeUnit.SECONDS,
                new SynchronousQueue<>(), threads, new ThreadPoolExecutor.AbortPolicy());
        return new BranchFanOut(executor, onlyBetweenRemote);
    }

    /** Whether these branches go side by side. */
    boolean parallelFor(List<Participant> branches) {
        if (executor == null || branches.size() < 2) {
            return false;
        }
        if (!onlyBetweenRemote) {
            return true;
        }
        int remote = 0;
        for (Participant p : branches) {
            if (isRemote(p) && ++remote == 2) {
                return true;
            }
        }
        return false;
    }

    /**
     * Calls {@code call} with each index of {@code branches}, side by side, and returns once every
     * call has returned. {@code call} records its result itself and throws nothing it expects.
     */
    private void forEach(List<Participant> branches, IntConsumer call) {
        run(branches, call, null);
    }

    /**
     * As {@link #forEach}, but the committing thread finishes its own first branch before any other
     * starts, and runs {@code beforeEachOther} before each further branch is started: so a crash
     * point fired there sees some branches done and at least one not yet begun, as in serial mode.
     * Used only when a crash injector is set; it gives up the overlap with the first branch.
     */
    private void forEachAfterFirst(List<Participant> branches, IntConsumer call, Runnable beforeEachOther) {
        run(branches, call, beforeEachOther);
    }

    /**
     * Prepares every branch side by side and returns each one's vote, in their order. With
     * {@code afterFirstYes} (a crash point) the committing thread prepares its own branch first and,
     * if it voted yes, runs it before any other branch starts.
     */
    BranchVote[] prepare(List<Participant> branches, Runnable afterFirstYes) {
        BranchVote[] votes = new BranchVote[branches.size()];
        IntConsumer prepare = i -> votes[i] = BranchVote.prepare(branches.get(i));
        if (afterFirstYes == null) {
            forEach(branches, prepare);
        } else {
            boolean[] asked = new boolean[1];
            forEachAfterFirst(branches, prepare, () -> {
                // Only on the first call has nothing else started: the one finished vote is safe to read.
                boolean firstSaidYes = !asked[0] && Arrays.stream(votes).anyMatch(v -> v != null && v.yes());
                asked[0] = true;
                if (firstSaidYes) {
                    afterFirstYes.run();
                }
            });
        }
        return votes;
    }

    /**
     * Commits or rolls back ({@code call}) every branch side by side and returns each one's result,
     * in their order. {@code beforeEachOther}: see {@link #forEachAfterFirst}; null for none.
     */
    BranchCompletion.Result[] complete(List<Participant> branches, BranchCompletion completion, XaCall call,
            Runnable beforeEachOther) {
        BranchCompletion.Result[] results = new BranchCompletion.Result[branches.size()];
        IntConsumer complete = i -> results[i] = completion.complete(branches.get(i).resource(), branches.get(i), call);
        if (beforeEachOther == null) {
            forEach(branches, complete);
        } else {
            forEachAfterFirst(branches, complete, beforeEachOther);
        }
        return results;
    }

    /**
     * Runs {@code call} with each index of {@code branches} side by side, for work done on behalf
     * of a branch that is not its own XA call (three-phase commit's pre-commit markers, written
     * into each participant). {@code call} records its result itself. {@code beforeEachOther}: see
     * {@link #forEachAfterFirst}; null for none.
     */
    void each(List<Participant> branches, IntConsumer call, Runnable beforeEachOther) {
        run(branches, call, beforeEachOther);
    }

    private void run(List<Participant> branches, IntConsumer call, Runnable beforeEachOther) {
        int n = branches.size();
        boolean[] offered = new boolean[n];
        int first = -1;
        for (int i = 0; i < n; i++) {
            boolean remote = !onlyBetweenRemote || isRemote(branches.get(i));
            if (remote && first >= 0) {
                offered[i] = true; // the committing thread keeps in-process branches and one remote one
            } else if (remote) {
                first = i;
            }
        }
        first = Math.max(first, 0);
        Pending pending = new Pending();
        try {
            if (beforeEachOther == null) {
                for (int i = 0; i < n; i++) {
                    if (offered[i] && !pending.handOver(executor, call, i)) {
                        offered[i] = false; // every helper busy: this thread does it
                    }
                }
                for (int i = 0; i < n; i++) {
                    if (!offered[i]) {
                        call.accept(i);
                    }
                }
            } else {
                call.accept(first);
                for (int i = 0; i < n; i++) {
                    if (i != first) {
                        beforeEachOther.run();
                        if (!offered[i] || !pending.handOver(executor, call, i)) {
                            call.accept(i);
                        }
                    }
                }
            }
        } finally {
            pending.awaitAll();
        }
        pending.rethrow();
    }

    private static boolean isRemote(Participant p) {
        try {
            return !(p.resource() instanceof ResourceLocality l) || !l.inProcess();
        } catch (RuntimeException e) {
            return true;
        }
    }

    /** Stops the helper threads once their current calls return; later branches run on the committing thread. */
    @Override
    public void close() {
        if (executor != null) {
            executor.shutdown();
        }
    }

    /** The calls handed over for one fan-out: how many are still running, and what escaped one. */
    private static final class Pending {
        private int running;
        private Throwable escaped;

        boolean handOver(ThreadPoolExecutor executor, IntConsumer call, int index) {
            synchronized (this) {
                running++;
            }
            try {
                executor.execute(() -> {
                    try {
                        call.accept(index);
                    } catch (RuntimeException | Error e) {
                        failed(e);
                    } finally {
                        done();
                    }
                });
                return true;
            } catch (RejectedExecutionException | OutOfMemoryError saturatedClosedOrNoThread) {
                // Every helper busy, the manager closed, or no thread could be started: not handed
                // over, so not counted, and the committing thread does the branch itself.
                done();
                return false;
            }
        }

        private synchronized void failed(Throwable t) {
            if (escaped == null) {
                escaped = t;
            } else {
                escaped.addSuppressed(t);
            }
        }

        private synchronized void done() {
            if (--running == 0) {
                notifyAll();
            }
        }

        synchronized void awaitAll() {
            boolean interrupted = false;
            while (running > 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // a branch's call must finish before commit() decides
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        synchronized void rethrow() {
            if (escaped instanceof RuntimeException e) {
                throw e;
            }
            if (escaped instanceof Error e) {
                throw e;
            }
        }
    }
}
