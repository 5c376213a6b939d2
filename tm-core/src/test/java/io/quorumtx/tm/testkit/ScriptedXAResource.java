package io.quorumtx.tm.testkit;

import io.quorumtx.tm.spi.NamedResource;
import io.quorumtx.tm.spi.ResourceLocality;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * An XAResource that does what a test tells it to: vote read-only or no, fail a given call with
 * a given XA code a given number of times, report isSameRM, and record every call. It keeps the
 * state a real resource manager would (started, prepared, committed, rolled back Xids), so tests
 * assert outcomes rather than call sequences where they can.
 *
 * <p>For recovery it plays the database that outlives the application: {@link #recover} lists the
 * prepared branches, {@link #restart()} drops what was not prepared (as a database does when its
 * sessions die) and keeps the prepared ones, {@link #addPrepared} plants a branch left by someone
 * else (another node, another transaction manager), and {@link #clearsOnlyOneRollbackPerRecover()}
 * mimics H2's own XAResource. {@code recover} calls are counted ({@link #recoverCalls()}), not
 * recorded in {@link #calls()}, so background recovery passes do not disturb call-sequence
 * assertions.
 *
 * <p>It runs in this JVM, so it says {@link #inProcess()} (and {@code BranchExecution.AUTO}
 * keeps its branches serial) unless {@link #remote()} makes it play a database server. A hook
 * ({@link #onCall}) runs before a call, outside the resource's lock, so a test can hold a call
 * where it wants (two prepares that wait for each other).
 *
 * <p>Thread-safe. Published in the tm-core test-jar for other modules' tests.
 */
public class ScriptedXAResource implements XAResource, NamedResource, ResourceLocality {

    /** The XA operations that can be scripted to fail. */
    public enum Op { START, END, PREPARE, COMMIT, ROLLBACK, FORGET, RECOVER }

    /** One recorded call: the operation, its Xid (null for recover) and flags (onePhase as TMONEPHASE). */
    public record Call(Op op, Xid xid, int flags) {
        @Override
        public String toString() {
            return op + "(" + xid + ", " + flags + ")";
        }
    }

    private final String name;
    private final List<Call> calls = new ArrayList<>();
    private final Map<Op, Deque<Object>> failures = new EnumMap<>(Op.class);
    private final Map<Op, Deque<Integer>> lostReplies = new EnumMap<>(Op.class);
    private int unknownBranchCode = XAException.XAER_NOTA;
    private final Set<Xid> started = new LinkedHashSet<>();
    private final Set<Xid> prepared = new LinkedHashSet<>();
    private final Set<Xid> committed = new LinkedHashSet<>();
    private final Set<Xid> rolledBack = new LinkedHashSet<>();
    private boolean voteReadOnly;
    private Predicate<XAResource> sameRm = other -> false;
    private int timeoutSeconds;
    private int recoverCalls;
    private boolean oneRollbackPerRecover;
    private boolean rollbackArmed;
    private volatile boolean remote;
    private final Map<Op, Runnable> hooks = new ConcurrentHashMap<>();

    /** A resource named {@code name} (null: unnamed, the TM generates a branch qualifier). */
    public ScriptedXAResource(String name) {
        this.name = name;
    }

    // ------------------------------------------------------------ scripting

    /** Prepare answers XA_RDONLY (the branch did no writes). */
    public synchronized ScriptedXAResource voteReadOnly() {
        this.voteReadOnly = true;
        return this;
    }

    /** Prepare throws XA_RBROLLBACK once: the resource votes no and has rolled its branch back. */
    public ScriptedXAResource voteNo() {
        return fail(Op.PREPARE, XAException.XA_RBROLLBACK, 1);
    }

    /** The next {@code times} calls of {@code op} throw an XAException with {@code errorCode}. */
    public synchronized ScriptedXAResource fail(Op op, int errorCode, int times) {
        Deque<Object> queue = failures.computeIfAbsent(op, k -> new ArrayDeque<>());
        for (int i = 0; i < times; i++) {
            queue.add(errorCode);
        }
        return this;
    }

    /** The next {@code times} calls of {@code op} throw {@code exception}. */
    public synchronized ScriptedXAResource fail(Op op, RuntimeException exception, int times) {
        Deque<Object> queue = failures.computeIfAbsent(op, k -> new ArrayDeque<>());
        for (int i = 0; i < times; i++) {
            queue.add(exception);
        }
        return this;
    }

    /**
     * The next {@code times} commits (or rollbacks) take effect and then throw {@code errorCode}, as
     * when the connection drops after the database finished the branch but before its answer arrived.
     */
    public synchronized ScriptedXAResource loseReply(Op op, int errorCode, int times) {
        if (op != Op.COMMIT && op != Op.ROLLBACK) {
            throw new IllegalArgumentException("Only COMMIT and ROLLBACK replies can be lost, not " + op);
        }
        Deque<Integer> queue = lostReplies.computeIfAbsent(op, k -> new ArrayDeque<>());
        for (int i = 0; i < times; i++) {
            queue.add(errorCode);
        }
        return this;
    }

    /**
     * Commit or rollback of a branch this resource does not know throws {@code errorCode} instead
     * of XAER_NOTA. H2 2.4's own XAResource answers with 0, which is no XA error code at all.
     */
    public synchronized ScriptedXAResource answerUnknownBranchWith(int errorCode) {
        this.unknownBranchCode = errorCode;
        return this;
    }

    /** Plants a prepared branch, as if left by a crashed transaction of anyone (any Xid format). */
    public synchronized ScriptedXAResource addPrepared(Xid xid) {
        prepared.add(xid);
        return this;
    }

    /**
     * Like H2 2.4's own XAResource: a two-phase rollback takes effect only for the first branch
     * after each {@code recover()}; later ones in the same listing return normally and change
     * nothing, so the branch stays listed until the next pass.
     */
    public synchronized ScriptedXAResource clearsOnlyOneRollbackPerRecover() {
        this.oneRollbackPerRecover = true;
        return this;
    }

    /**
     * The database restarts: branches that were started but not prepared are gone (rolled back);
     * prepared branches survive, as do the committed and rolled-back histories.
     */
    public synchronized ScriptedXAResource restart() {
        rolledBack.addAll(started.stream().filter(x -> !prepared.contains(x)).toList());
        started.clear();
        return this;
    }

    /** isSameRM answers true for {@code other} (and keeps answering as before for the rest). */
    public synchronized ScriptedXAResource sameRmAs(XAResource other) {
        Predicate<XAResource> previous = sameRm;
        sameRm = previous.or(candidate -> candidate == other);
        return this;
    }

    /** Plays a database server: {@link #inProcess()} answers false. */
    public ScriptedXAResource remote() {
        this.remote = true;
        return this;
    }

    /** Runs {@code hook} at the start of every {@code op} call (prepare, commit or rollback), outside the lock. */
    public ScriptedXAResource onCall(Op op, Runnable hook) {
        if (op != Op.PREPARE && op != Op.COMMIT && op != Op.ROLLBACK) {
            throw new IllegalArgumentException("Only PREPARE, COMMIT and ROLLBACK take a hook, not " + op);
        }
        hooks.put(op, hook);
        return this;
    }

    // ------------------------------------------------------------ observations

    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    public synchronized List<Op> ops() {
        return calls.stream().map(Call::op).toList();
    }

    public synchronized long count(Op op) {
        return calls.stream().filter(c -> c.op() == op).count();
    }

    public synchronized Set<Xid> committed() {
        return Set.copyOf(committed);
    }

    public synchronized Set<Xid> rolledBack() {
        return Set.copyOf(rolledBack);
    }

    public synchronized Set<Xid> prepared() {
        return Set.copyOf(prepared);
    }

    public synchronized int recoverCalls() {
        return recoverCalls;
    }

    /** The Xid of the first start call, or null. */
    public synchronized Xid firstXid() {
        return calls.stream().filter(c -> c.op() == Op.START).map(Call::xid).findFirst().orElse(null);
    }

    // ------------------------------------------------------------ XAResource

    @Override
    public String resourceName() {
        return name;
    }

    @Override
    public synchronized void start(Xid xid, int flags) throws XAException {
        record(Op.START, xid, flags);
        started.add(xid);
    }

    @Override
    public synchronized void end(Xid xid, int flags) throws XAException {
        record(Op.END, xid, flags);
    }

    @Override
    public boolean inProcess() {
        return !remote;
    }

    private void hook(Op op) {
        Runnable hook = hooks.get(op);
        if (hook != null) {
            hook.run();
        }
    }

    @Override
    public int prepare(Xid xid) throws XAException {
        hook(Op.PREPARE);
        return prepareLocked(xid);
    }

    private synchronized int prepareLocked(Xid xid) throws XAException {
        try {
            record(Op.PREPARE, xid, 0);
        } catch (XAException e) {
            if (XAException.XA_RBBASE <= e.errorCode && e.errorCode <= XAException.XA_RBEND) {
                rolledBack.add(xid);
                started.remove(xid);
            }
            throw e;
        }
        if (voteReadOnly) {
            started.remove(xid);
            return XA_RDONLY;
        }
        prepared.add(xid);
        return XA_OK;
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
        hook(Op.COMMIT);
        commitLocked(xid, onePhase);
    }

    private synchronized void commitLocked(Xid xid, boolean onePhase) throws XAException {
        record(Op.COMMIT, xid, onePhase ? TMONEPHASE : TMNOFLAGS);
        if (!prepared.contains(xid) && !(onePhase && started.contains(xid))) {
            throw new XAException(unknownBranchCode);
        }
        prepared.remove(xid);
        started.remove(xid);
        committed.add(xid);
        loseReplyIfScripted(Op.COMMIT);
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        hook(Op.ROLLBACK);
        rollbackLocked(xid);
    }

    private synchronized void rollbackLocked(Xid xid) throws XAException {
        record(Op.ROLLBACK, xid, 0);
        if (oneRollbackPerRecover && prepared.contains(xid)) {
            if (!rollbackArmed) {
                return; // H2: without a fresh recover() this rolls back the session's own work, not the branch
            }
            rollbackArmed = false;
        }
        if (!prepared.remove(xid) && !started.remove(xid)) {
            throw new XAException(unknownBranchCode);
        }
        rolledBack.add(xid);
        loseReplyIfScripted(Op.ROLLBACK);
    }

    private void loseReplyIfScripted(Op op) throws XAException {
        Deque<Integer> queue = lostReplies.get(op);
        Integer code = queue == null ? null : queue.poll();
        if (code != null) {
            throw new XAException(code);
        }
    }

    @Override
    public synchronized void forget(Xid xid) throws XAException {
        record(Op.FORGET, xid, 0);
        prepared.remove(xid);
    }

    @Override
    public synchronized Xid[] recover(int flag) throws XAException {
        recoverCalls++;
        Deque<Object> queue = failures.get(Op.RECOVER);
        Object failure = queue == null ? null : queue.poll();
        if (failure instanceof Integer code) {
            throw new XAException(code);
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        rollbackArmed = !prepared.isEmpty();
        return prepared.toArray(new Xid[0]);
    }

    @Override
    public synchronized boolean isSameRM(XAResource other) {
        return other == this || sameRm.test(other);
    }

    @Override
    public synchronized int getTransactionTimeout() {
        return timeoutSeconds;
    }

    @Override
    public synchronized boolean setTransactionTimeout(int seconds) {
        this.timeoutSeconds = seconds;
        return true;
    }

    private void record(Op op, Xid xid, int flags) throws XAException {
        calls.add(new Call(op, xid, flags));
        Deque<Object> queue = failures.get(op);
        Object failure = queue == null ? null : queue.poll();
        if (failure instanceof Integer code) {
            throw new XAException(code);
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
    }

    @Override
    public String toString() {
        return "ScriptedXAResource[" + name + "]";
    }
}
