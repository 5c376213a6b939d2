package io.quorumtx.tm.internal;

import io.quorumtx.tm.CommitProtocolType;
import io.quorumtx.tm.protocol.CommitProtocol;
import io.quorumtx.tm.protocol.Participant;
import jakarta.transaction.HeuristicCommitException;
import jakarta.transaction.HeuristicMixedException;
import jakarta.transaction.HeuristicRollbackException;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.SystemException;
import jakarta.transaction.Transaction;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.HashMap;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import javax.transaction.xa.XAResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JTA transaction and its completion state machine: who gets to complete it, the
 * synchronizations around completion, and handing the ended branches to the
 * {@link CommitProtocol}. Its branches and the XA association calls that build them live in
 * {@link Enlistments}; this class decides when they may change.
 *
 * <p><b>State machine.</b> {@link #state} holds a {@link Status} code, plus
 * {@link #BEFORE_COMPLETION} while synchronizations run; rollback-only is a separate flag so the
 * state word only ever moves forward. Exactly one party wins the right to complete the
 * transaction by a compare-and-set out of ACTIVE: the committer (ACTIVE to BEFORE_COMPLETION),
 * a rollback (ACTIVE to ROLLING_BACK) or the timeout reaper (ACTIVE to ROLLING_BACK). After that
 * only the winner writes the state (through {@link #reached} while the protocol runs). The reaper
 * never interrupts a commit that has started: if it finds BEFORE_COMPLETION it only sets
 * rollback-only, which the committer checks before prepare.
 *
 * <p><b>Threads and locking.</b> Application threads enlist, delist, register synchronizations
 * and mark rollback-only; the completing thread (the committer, an application rollback or the
 * reaper) owns the transaction once it has won the state. This object's monitor is the one lock:
 * it guards the enlistments (including their in-flight count), synchronization registration and
 * the registry's resources, and is never held across an XA call or a callback. Completion takes
 * over only under the monitor with nothing in flight, and changes the state and snapshots the
 * branches in that same step: the committer and an application rollback wait (without the
 * monitor) for in-flight calls to return; the reaper simply tries again on its next pass (see
 * {@link Enlistments}). So no branch is ever half-enlisted when completion looks, none is missed,
 * and no XAResource is driven by two threads at once.
 */
public final class QuorumTransaction implements Transaction, CommitProtocol.Progress {
    private static final Logger LOG = LoggerFactory.getLogger(QuorumTransaction.class);

    /** Commit has started and synchronizations' beforeCompletion are running; enlistment still allowed. */
    static final int BEFORE_COMPLETION = 100;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(QuorumTransaction.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final TransactionEngine engine;
    private final String gtrid;
    final long deadlineNanos;
    private final long timeoutNanos;

    private volatile int state = Status.STATUS_ACTIVE;
    private volatile boolean rollbackOnly;
    private volatile boolean timedOut;
    private volatile Throwable rollbackCause;
    private final Synchronizations synchronizations = new Synchronizations();

    private final Enlistments enlistments = new Enlistments(this);
    private HashMap<Object, Object> resources; // guarded by this
    private volatile CommitProtocolType protocolType;
    /** Null unless an observer is registered; the completing thread's own (see {@link CommitWatch}). */
    private CommitWatch watch;
    /** A branch reported a heuristic outcome against the decision while this transaction completed. */
    private volatile boolean heuristicMet;

    QuorumTransaction(TransactionEngine engine, String gtrid, long timeoutNanos) {
        this.engine = engine;
        this.gtrid = gtrid;
        this.timeoutNanos = timeoutNanos;
        this.deadlineNanos = System.nanoTime() + timeoutNanos;
        this.protocolType = engine.defaultProtocol;
    }

    /** The protocol that will commit this transaction. */
    public CommitProtocolType protocolType() {
        return protocolType;
    }

    /**
     * Chooses the protocol of this transaction. Only before its first resource is enlisted: the
     * protocol is written into every branch's Xid.
     *
     * @throws IllegalStateException if a resource is already enlisted or the transaction is completing
     */
    public synchronized void protocolType(CommitProtocolType type) {
        java.util.Objects.requireNonNull(type, "type");
        if (type == protocolType) {
            return;
        }
        if (!enlistments.none() || state != Status.STATUS_ACTIVE) {
            throw new IllegalStateException("Transaction " + gtrid + " cannot switch to " + type + ": a resource is"
                    + " already enlisted (its branch Xid names the protocol) or the transaction is completing;"
                    + " choose the protocol right after begin");
        }
        protocolType = type;
    }

    public String gtrid() {
        return gtrid;
    }

    /** True once the transaction has an outcome (or its outcome can no longer be learned here). */
    public boolean isFinished() {
        int s = state;
        return s == Status.STATUS_COMMITTED || s == Status.STATUS_ROLLEDBACK || s == Status.STATUS_UNKNOWN;
    }

    /** True if the timeout reaper rolled this transaction back (the application has yet to hear of it). */
    public boolean wasRolledBackByTimeout() {
        return timedOut && (state == Status.STATUS_ROLLING_BACK || state == Status.STATUS_ROLLEDBACK);
    }

    // ---------------------------------------------------------------- completion

    @Override
    public void commit() throws RollbackException, HeuristicMixedException, HeuristicRollbackException,
            SystemException {
        if (!STATE.compareAndSet(this, Status.STATUS_ACTIVE, BEFORE_COMPLETION)) {
            int s = state;
            synchronized (this) { // the reaper sets timedOut in the same critical section as its CAS
                if (timedOut && (s == Status.STATUS_ROLLING_BACK || s == Status.STATUS_ROLLEDBACK)) {
                    throw rolledBack();
                }
            }
            throw new IllegalStateException("Transaction " + gtrid + " cannot be committed: it is " + statusName(s));
        }
        if (!rollbackOnly) {
            runBeforeCompletion();
        }
        Enlistment[] all;
        List<Participant> branches;
        boolean rollback;
        synchronized (this) {
            enlistments.awaitNothingInFlight();
            rollback = rollbackOnly;
            state = rollback ? Status.STATUS_ROLLING_BACK : Status.STATUS_PREPARING;
            all = enlistments.toArray();
            branches = Enlistments.primaries(all);
        }
        CommitProtocol protocol = engine.protocol(protocolType);
        Participant decisionBranch = null;
        if (!rollback) {
            try {
                // Before end: the decision is written into a branch that is still associated.
                decisionBranch = protocol.writeDecisionInBranch(gtrid, branches);
            } catch (RuntimeException e) {
                rollback = true;
                rollbackOnly = true;
                rollbackCause = e;
                state = Status.STATUS_ROLLING_BACK;
            }
        }
        if (!rollback) {
            Throwable endFailure = Enlistments.endAll(all);
            if (endFailure != null) {
                rollback = true;
                rollbackOnly = true;
                rollbackCause = endFailure;
                state = Status.STATUS_ROLLING_BACK;
            }
        }
        if (rollback) {
            SystemException heuristic = rollBack(all, branches);
            if (heuristic != null) {
                HeuristicMixedException mixed = new HeuristicMixedException(heuristic.getMessage());
                mixed.initCause(heuristic.getCause());
                throw mixed;
            }
            throw rolledBack();
        }
        int finalState = Status.STATUS_UNKNOWN;
        watch = CommitWatch.start(engine.observers, gtrid, branches.size());
        try {
            protocol.commit(gtrid, branches, decisionBranch, this);
            finalState = Status.STATUS_COMMITTED;
        } catch (RollbackException | HeuristicRollbackException e) {
            finalState = Status.STATUS_ROLLEDBACK;
            throw e;
        } finally {
            finish(finalState);
        }
    }

    @Override
    public void rollback() throws SystemException {
        Enlistment[] all;
        List<Participant> branches;
        synchronized (this) {
            enlistments.awaitNothingInFlight();
            if (!STATE.compareAndSet(this, Status.STATUS_ACTIVE, Status.STATUS_ROLLING_BACK)) {
                int s = state;
                if (timedOut && (s == Status.STATUS_ROLLING_BACK || s == Status.STATUS_ROLLEDBACK)) {
                    return; // the reaper already rolled it back; the application's rollback just agrees
                }
                throw new IllegalStateException("Transaction " + gtrid + " cannot be rolled back: it is "
                        + statusName(s) + (s == BEFORE_COMPLETION
                        ? " (call setRollbackOnly() from a synchronization instead)" : ""));
            }
            all = enlistments.toArray();
            branches = Enlistments.primaries(all);
        }
        SystemException heuristic = rollBack(all, branches);
        if (heuristic != null) {
            throw heuristic;
        }
    }

    /** Called by the reaper once the deadline has passed; never blocks on the application. */
    void timeout() {
        Enlistment[] all;
        List<Participant> branches;
        synchronized (this) {
            if (enlistments.anyInFlight()) {
                return; // an enlist or delist is inside an XA call: try again on the next pass
            }
            if (!STATE.compareAndSet(this, Status.STATUS_ACTIVE, Status.STATUS_ROLLING_BACK)) {
                if (state == BEFORE_COMPLETION) {
                    timedOut = true;
                    rollbackOnly = true; // commit has not prepared yet; it checks this before it does
                }
                return;
            }
            timedOut = true;
            rollbackOnly = true;
            all = enlistments.toArray();
            branches = Enlistments.primaries(all);
        }
        LOG.warn("Transaction {} timed out after {} and is being rolled back", gtrid, timeoutText());
        SystemException heuristic = rollBack(all, branches);
        if (heuristic != null) {
            LOG.error("Rollback of timed-out transaction {} met heuristic outcomes", gtrid, heuristic);
        }
    }

    /** Ends what is still associated with TMFAIL and rolls back; returns a heuristic report, if any. */
    private SystemException rollBack(Enlistment[] all, List<Participant> branches) {
        Enlistments.failAll(all);
        int finalState = Status.STATUS_ROLLEDBACK;
        SystemException report = null;
        try {
            engine.protocol(protocolType).rollback(gtrid, branches, this);
        } catch (HeuristicMixedException | HeuristicCommitException e) {
            finalState = e instanceof HeuristicCommitException ? Status.STATUS_COMMITTED : Status.STATUS_UNKNOWN;
            report = new SystemException(e.getMessage());
            report.initCause(e);
        } finally {
            finish(finalState);
        }
        return report;
    }

    private void finish(int finalState) {
        state = finalState;
        engine.completed(this);
        CommitWatch.finished(watch, engine.observers, gtrid, finalState, timedOut, heuristicMet);
        synchronizations.runAfterCompletion(finalState == Status.STATUS_COMMITTED
                || finalState == Status.STATUS_ROLLEDBACK ? finalState : Status.STATUS_UNKNOWN, gtrid);
    }

    private RollbackException rolledBack() {
        Throwable cause = rollbackCause;
        String message;
        if (timedOut) {
            message = "Transaction " + gtrid + " timed out after " + timeoutText() + " and was rolled back";
        } else if (cause != null) {
            message = "Transaction " + gtrid + " was rolled back: " + cause;
        } else {
            message = "Transaction " + gtrid + " was marked rollback-only and has been rolled back";
        }
        RollbackException e = new RollbackException(message);
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    private String timeoutText() {
        long millis = TimeUnit.NANOSECONDS.toMillis(timeoutNanos);
        if (millis == 1000) {
            return "1 second";
        }
        return millis % 1000 == 0 ? (millis / 1000) + " seconds" : (millis / 1000.0) + " seconds";
    }

    @Override
    public void reached(int jtaStatus) {
        state = jtaStatus;
        if (watch != null) {
            watch.reached(jtaStatus);
        }
    }

    /** See {@link TransactionEngine#heuristicMet}. */
    void heuristicMet() {
        heuristicMet = true;
    }

    // ---------------------------------------------------------------- status

    @Override
    public int getStatus() {
        int s = state;
        if (s == Status.STATUS_ACTIVE || s == BEFORE_COMPLETION) {
            return rollbackOnly ? Status.STATUS_MARKED_ROLLBACK : Status.STATUS_ACTIVE;
        }
        return s;
    }

    /** Synchronized so that it either lands before the committer's last check or fails visibly. */
    @Override
    public synchronized void setRollbackOnly() {
        int s = state;
        if (s == Status.STATUS_ACTIVE || s == BEFORE_COMPLETION) {
            rollbackOnly = true;
        } else if (s != Status.STATUS_ROLLING_BACK && s != Status.STATUS_ROLLEDBACK) {
            throw new IllegalStateException("Transaction " + gtrid + " cannot be marked rollback-only: it is "
                    + statusName(s));
        }
    }

    /** An enlisted branch failed: the transaction can no longer commit. */
    void markRollbackOnly() {
        rollbackOnly = true;
    }

    /** The raw state word (a Status code or BEFORE_COMPLETION), for the enlistments' checks. */
    int state() {
        return state;
    }

    boolean isRollbackOnly() {
        int s = state;
        return rollbackOnly || s == Status.STATUS_ROLLING_BACK || s == Status.STATUS_ROLLEDBACK;
    }

    /** Branches, synchronizations and registry resources may still be added (completion has not taken over). */
    boolean enlistable() {
        int s = state;
        return s == Status.STATUS_ACTIVE || s == BEFORE_COMPLETION;
    }

    // ---------------------------------------------------------------- enlistment (see Enlistments)

    @Override
    public boolean enlistResource(XAResource xa) throws RollbackException, SystemException {
        Objects.requireNonNull(xa, "xaResource");
        engine.awaitRecovered(xa);
        return enlistments.enlist(xa);
    }

    @Override
    public boolean delistResource(XAResource xa, int flag) throws SystemException {
        return enlistments.delist(xa, flag);
    }

    /** Throws unless resources may be enlisted now. Holds the monitor. */
    void checkEnlistable() throws RollbackException {
        if (!enlistable()) {
            if (timedOut) {
                throw rolledBack();
            }
            throw new IllegalStateException("Cannot enlist a resource in transaction " + gtrid + ": it is "
                    + statusName(state));
        }
        if (rollbackOnly) {
            throw new RollbackException("Cannot enlist a resource in transaction " + gtrid
                    + ": it is marked rollback-only" + (timedOut ? " (timed out after " + timeoutText() + ")" : ""));
        }
    }

    // ---------------------------------------------------------------- synchronizations

    @Override
    public void registerSynchronization(Synchronization sync) throws RollbackException {
        Objects.requireNonNull(sync, "synchronization");
        synchronized (this) {
            if (timedOut && !enlistable()) {
                throw rolledBack();
            }
            checkRegistrable("register a synchronization with");
            if (rollbackOnly) {
                throw new RollbackException("Cannot register a synchronization with transaction " + gtrid
                        + ": it is marked rollback-only");
            }
            if (!synchronizations.addRegular(sync)) {
                throw new IllegalStateException("Cannot register a synchronization with transaction " + gtrid
                        + ": interposed synchronizations are already running beforeCompletion");
            }
        }
    }

    void registerInterposedSynchronization(Synchronization sync) {
        Objects.requireNonNull(sync, "synchronization");
        synchronized (this) {
            checkRegistrable("register an interposed synchronization with");
            if (rollbackOnly) {
                throw new IllegalStateException("Cannot register an interposed synchronization with transaction "
                        + gtrid + ": it is marked rollback-only");
            }
            if (!synchronizations.addInterposed(sync)) {
                throw new IllegalStateException("Cannot register an interposed synchronization with transaction "
                        + gtrid + ": it is completing");
            }
        }
    }

    private void checkRegistrable(String action) {
        if (!enlistable()) {
            throw new IllegalStateException("Cannot " + action + " transaction " + gtrid + ": it is "
                    + statusName(state));
        }
    }

    private void runBeforeCompletion() {
        Throwable failure = synchronizations.runBeforeCompletion(() -> rollbackOnly);
        if (failure != null) {
            LOG.warn("beforeCompletion of transaction {} failed; rolling back", gtrid, failure);
            rollbackCause = failure;
            rollbackOnly = true;
        }
    }

    // ---------------------------------------------------------------- TSR resources

    synchronized void putResource(Object key, Object value) {
        Objects.requireNonNull(key, "key");
        if (!enlistable()) {
            throw new IllegalStateException("Cannot put a resource into transaction " + gtrid + ": it is "
                    + statusName(state));
        }
        if (resources == null) {
            resources = new HashMap<>(4);
        }
        resources.put(key, value);
    }

    synchronized Object getResource(Object key) {
        Objects.requireNonNull(key, "key");
        return resources == null ? null : resources.get(key);
    }

    // ---------------------------------------------------------------- misc

    static String statusName(int status) {
        return switch (status) {
            case Status.STATUS_ACTIVE -> "active";
            case BEFORE_COMPLETION -> "completing (running beforeCompletion)";
            case Status.STATUS_MARKED_ROLLBACK -> "marked rollback-only";
            case Status.STATUS_PREPARING -> "preparing";
            case Status.STATUS_PREPARED -> "prepared";
            case Status.STATUS_COMMITTING -> "committing";
            case Status.STATUS_COMMITTED -> "committed";
            case Status.STATUS_ROLLING_BACK -> "rolling back";
            case Status.STATUS_ROLLEDBACK -> "rolled back";
            case Status.STATUS_NO_TRANSACTION -> "no transaction";
            default -> "in an unknown state";
        };
    }

    @Override
    public String toString() {
        return "QuorumTransaction[" + gtrid + ", " + statusName(getStatus()) + "]";
    }
}
