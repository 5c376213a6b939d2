package io.quorumtx.tm.internal;

import io.quorumtx.tm.spi.NamedResource;
import io.quorumtx.tm.CommitProtocolType;
import io.quorumtx.tm.protocol.Participant;
import io.quorumtx.tm.protocol.XaCodes;
import io.quorumtx.tm.xid.NodeIds;
import jakarta.transaction.RollbackException;
import jakarta.transaction.Status;
import jakarta.transaction.SystemException;
import java.util.ArrayList;
import java.util.List;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The branches of one transaction and the XA association calls that build them: enlist
 * ({@code start}, TMJOIN for resources that report {@code isSameRM}, TMRESUME), delist
 * ({@code end}) and, once completion has taken over, ending what is still associated.
 *
 * <p><b>One monitor.</b> Everything here is guarded by the owning {@link QuorumTransaction}'s
 * monitor, not by one of its own: an enlist must check the transaction's state and change this
 * list in one step, and completion must change the state and snapshot this list in one step. Two
 * locks would reopen the gap between them. The monitor is never held across an XA call.
 *
 * <p><b>In flight.</b> Every association call an application thread makes ({@code start} in
 * enlist, {@code end} in delist) is counted in flight from the moment its enlistment is marked
 * until the call returns. Completion takes over only with nothing in flight: the committer and an
 * application rollback {@linkplain #awaitNothingInFlight() wait} for it, the timeout reaper sees
 * {@link #anyInFlight()} and tries again on its next pass. So no branch is half-enlisted when
 * completion looks, none is missed, and no XAResource is driven by two threads at once. After the
 * takeover only the completing thread touches the enlistments ({@link #endAll}, {@link #failAll}).
 *
 * <p><b>Branch names.</b> Qualifiers are the resource's {@link NamedResource} name, so recovery
 * can route a branch back to its database; a second branch in the same database (two resources
 * that do not report {@code isSameRM}) gets {@code name~2}, {@code name~3}, ...; unnamed
 * resources get {@code r1}, {@code r2}, ... All stay within 64 ASCII bytes (names are at most 48
 * characters).
 */
final class Enlistments {
    // The transaction's category: one logger setting covers everything that happens to a transaction.
    private static final Logger LOG = LoggerFactory.getLogger(QuorumTransaction.class);
    private static final Enlistment[] NONE = new Enlistment[0];

    private final QuorumTransaction tx;

    // Guarded by tx's monitor.
    private final ArrayList<Enlistment> list = new ArrayList<>(4);
    private int unnamed;
    private int inFlight;

    Enlistments(QuorumTransaction tx) {
        this.tx = tx;
    }

    // ---------------------------------------------------------------- application threads

    /** {@link jakarta.transaction.Transaction#enlistResource}; {@code xa} is not null. */
    boolean enlist(XAResource xa) throws RollbackException, SystemException {
        Enlistment existing;
        Enlistment[] others = null;
        int flag = XAResource.TMNOFLAGS;
        synchronized (tx) {
            tx.checkEnlistable();
            existing = find(xa);
            if (existing != null) {
                int association = existing.association;
                if (association == Enlistment.ACTIVE || association == Enlistment.STARTING) {
                    return true; // already associated: enlisting twice is a no-op
                }
                flag = association == Enlistment.SUSPENDED ? XAResource.TMRESUME : XAResource.TMJOIN;
                existing.association = Enlistment.STARTING;
                inFlight++;
            } else {
                others = toArray();
            }
        }
        if (existing != null) {
            start(existing, flag, false);
            return true;
        }
        for (Enlistment e : others) {
            if (e.primary && sameRm(e.resource, xa)) {
                Enlistment joined = add(new Enlistment(xa, e.branch, false));
                try {
                    start(joined, XAResource.TMJOIN, true);
                    return true;
                } catch (SystemException refused) {
                    // isSameRM said yes but the resource cannot join (some drivers): use a branch of its own.
                    LOG.debug("TMJOIN of {} into {} refused; starting a separate branch", xa, e.branch, refused);
                }
                break;
            }
        }
        Enlistment fresh;
        synchronized (tx) {
            tx.checkEnlistable();
            fresh = new Enlistment(xa, newBranch(xa), true);
            list.add(fresh);
            inFlight++;
        }
        start(fresh, XAResource.TMNOFLAGS, true);
        return true;
    }

    private Enlistment add(Enlistment e) throws RollbackException {
        synchronized (tx) {
            tx.checkEnlistable();
            list.add(e);
            inFlight++;
        }
        return e;
    }

    private static boolean sameRm(XAResource existing, XAResource candidate) {
        try {
            return existing != candidate && existing.isSameRM(candidate);
        } catch (XAException | RuntimeException e) {
            return false;
        }
    }

    /** XAResource.start for an enlistment counted in flight (state STARTING). */
    private void start(Enlistment e, int flag, boolean isNew) throws RollbackException, SystemException {
        try {
            e.resource.start(e.branch.xid(), flag);
        } catch (XAException | RuntimeException ex) {
            synchronized (tx) {
                if (isNew) {
                    list.remove(e);
                } else {
                    // A branch with earlier work that could not be re-associated: do not commit it half-known.
                    e.association = Enlistment.FAILED;
                    tx.markRollbackOnly();
                }
                landed();
            }
            if (ex instanceof XAException xa && XaCodes.isRollback(xa.errorCode)) {
                tx.markRollbackOnly();
                RollbackException rb = new RollbackException("Resource " + e.branch.resourceName()
                        + " rolled back branch " + e.branch.xid() + " when it was started (" + XaCodes.describe(ex)
                        + "); transaction " + tx.gtrid() + " is marked rollback-only");
                rb.initCause(ex);
                throw rb;
            }
            SystemException se = new SystemException("Resource " + e.branch.resourceName() + " refused to start branch "
                    + e.branch.xid() + " (" + XaCodes.describe(ex) + ")");
            se.initCause(ex);
            throw se;
        }
        synchronized (tx) {
            e.association = Enlistment.ACTIVE;
            landed();
        }
    }

    /** {@link jakarta.transaction.Transaction#delistResource}. */
    boolean delist(XAResource xa, int flag) throws SystemException {
        if (flag != XAResource.TMSUCCESS && flag != XAResource.TMFAIL && flag != XAResource.TMSUSPEND) {
            throw new IllegalArgumentException("delistResource flag must be TMSUCCESS, TMFAIL or TMSUSPEND, got " + flag);
        }
        Enlistment e;
        synchronized (tx) {
            e = find(xa);
            if (e == null) {
                throw new IllegalStateException("Resource " + xa + " is not enlisted in transaction " + tx.gtrid());
            }
            if (!tx.enlistable()) {
                int state = tx.state();
                if (state == Status.STATUS_ROLLING_BACK || state == Status.STATUS_ROLLEDBACK) {
                    return false; // already ended by the rollback (typically the timeout reaper)
                }
                throw new IllegalStateException("Cannot delist a resource from transaction " + tx.gtrid() + ": it is "
                        + QuorumTransaction.statusName(state));
            }
            boolean suspended = e.association == Enlistment.SUSPENDED;
            if (e.association != Enlistment.ACTIVE && !(suspended && flag != XAResource.TMSUSPEND)) {
                throw new IllegalStateException("Resource " + e.branch.resourceName() + " is not associated with "
                        + "transaction " + tx.gtrid() + " (already delisted, or being enlisted by another thread)");
            }
            e.association = flag == XAResource.TMSUCCESS ? Enlistment.ENDED
                    : flag == XAResource.TMFAIL ? Enlistment.FAILED : Enlistment.SUSPENDED;
            inFlight++;
        }
        if (flag == XAResource.TMFAIL) {
            tx.markRollbackOnly();
        }
        boolean ended = false;
        try {
            e.resource.end(e.branch.xid(), flag);
            ended = true;
            return true;
        } catch (XAException | RuntimeException ex) {
            tx.markRollbackOnly();
            if (ex instanceof XAException xae && XaCodes.isRollback(xae.errorCode)) {
                LOG.debug("Resource {} rolled back branch {} at end ({}); transaction marked rollback-only",
                        e.branch.resourceName(), e.branch.xid(), XaCodes.describe(ex));
                return true;
            }
            SystemException se = new SystemException("Resource " + e.branch.resourceName() + " failed to end branch "
                    + e.branch.xid() + " (" + XaCodes.describe(ex) + "); transaction " + tx.gtrid()
                    + " is marked rollback-only");
            se.initCause(ex);
            throw se;
        } finally {
            synchronized (tx) {
                if (!ended) {
                    e.association = Enlistment.FAILED;
                }
                landed();
            }
        }
    }

    /** One in-flight XA call has returned. Holds tx's monitor. */
    private void landed() {
        if (--inFlight == 0) {
            tx.notifyAll();
        }
    }

    // ---------------------------------------------------------------- completion

    /** True while an enlist or delist is inside an XA call. Holds tx's monitor. */
    boolean anyInFlight() {
        return inFlight > 0;
    }

    /** Waits, monitor released, until no enlist or delist is inside an XA call. Holds tx's monitor. */
    void awaitNothingInFlight() {
        boolean interrupted = false;
        while (inFlight > 0) {
            try {
                tx.wait();
            } catch (InterruptedException e) {
                interrupted = true; // completion must not be abandoned half-way; re-assert below
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every enlistment, in enlistment order. Holds tx's monitor. */
    /** True before the first enlistment began (no branch Xid has been issued yet). Holds tx's monitor. */
    boolean none() {
        return list.isEmpty() && inFlight == 0;
    }

    Enlistment[] toArray() {
        return list.isEmpty() ? NONE : list.toArray(NONE);
    }

    /**
     * The branches that take part in the commit protocol, in enlistment order. Called right after
     * completion has taken over the transaction's state: a STARTING enlistment has lost the race
     * with completion and its own thread undoes it.
     */
    static List<Participant> primaries(Enlistment[] all) {
        List<Participant> participants = new ArrayList<>(all.length);
        for (Enlistment e : all) {
            if (e.primary && e.association != Enlistment.STARTING) {
                participants.add(e.branch);
            }
        }
        return participants;
    }

    /**
     * Ends every associated branch with TMSUCCESS; returns the first failure, or null. Runs after
     * completion took over, so nothing else touches the enlistments (see class comment).
     */
    static Throwable endAll(Enlistment[] all) {
        Throwable failure = null;
        for (Enlistment e : all) {
            if (!e.needsEnd()) {
                continue;
            }
            try {
                e.resource.end(e.branch.xid(), XAResource.TMSUCCESS);
                e.association = Enlistment.ENDED;
            } catch (XAException | RuntimeException ex) {
                e.association = Enlistment.FAILED;
                if (failure == null) {
                    failure = ex;
                }
            }
        }
        return failure;
    }

    /**
     * Ends what is still associated with TMFAIL before a rollback; failures only matter to the
     * resource, which rolls the branch back either way. Runs after completion took over.
     */
    static void failAll(Enlistment[] all) {
        for (Enlistment e : all) {
            if (e.needsEnd()) {
                e.association = Enlistment.FAILED;
                try {
                    e.resource.end(e.branch.xid(), XAResource.TMFAIL);
                } catch (XAException | RuntimeException ex) {
                    LOG.debug("end(TMFAIL) of {} before rollback failed: {}", e.branch, XaCodes.describe(ex));
                }
            }
        }
    }

    // ---------------------------------------------------------------- the list itself

    /** The enlistment of this very XAResource object, or null. Holds tx's monitor. */
    private Enlistment find(XAResource xa) {
        for (int i = 0, n = list.size(); i < n; i++) {
            Enlistment e = list.get(i);
            if (e.resource == xa) {
                return e;
            }
        }
        return null;
    }

    /** A new branch of the transaction for {@code xa}, with a qualifier unique in it. Holds tx's monitor. */
    private Participant newBranch(XAResource xa) {
        String name = xa instanceof NamedResource named ? named.resourceName() : null;
        String qualifier;
        if (name == null) {
            unnamed++;
            qualifier = "r" + unnamed;
            name = qualifier;
        } else {
            if (!NodeIds.isValidResourceName(name)) {
                throw new IllegalArgumentException("XAResource " + xa.getClass().getName() + " has an invalid name '"
                        + name + "': resource names are 1 to " + NodeIds.MAX_RESOURCE_NAME_LENGTH
                        + " characters of [A-Za-z0-9_.-]");
            }
            qualifier = name;
            for (int k = 2; qualifierTaken(qualifier); k++) {
                qualifier = name + "~" + k;
            }
        }
        return new Participant(xa, tx.engine.xids.branch(tx.gtrid(), qualifier, tx.protocolType() == CommitProtocolType.THREE_PHASE), name);
    }

    private boolean qualifierTaken(String qualifier) {
        for (int i = 0, n = list.size(); i < n; i++) {
            if (list.get(i).branch.xid().branchQualifier().equals(qualifier)) {
                return true;
            }
        }
        return false;
    }
}
