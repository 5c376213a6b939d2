package io.quorumtx.jdbc.internal;

import io.quorumtx.jdbc.internal.shared.ConnectionBoundResource;
import io.quorumtx.jdbc.internal.shared.DatabaseChecks;
import io.quorumtx.jdbc.internal.shared.JdbcLocality;
import io.quorumtx.tm.spi.NamedResource;
import io.quorumtx.tm.spi.ResourceLocality;
import java.sql.SQLException;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * A driver's {@link XAResource} under the stable name of its wrapped DataSource, so the
 * transaction manager writes that name into COMMIT records and can find the branch again.
 *
 * <p>Also follows the branch on its connection, so the DataSource knows when the connection may
 * go back to the pool (see {@link ConnectionBoundResource}). One instance lives as long as its
 * pooled connection: nothing is allocated per transaction. Methods are synchronized because the
 * transaction manager may retry phase 2 or time a branch out from another thread; the connection
 * is handed back to the pool only after leaving the monitor (see {@link #releaseWhenBranchEnds}).
 */
final class NamedXaResource implements XAResource, NamedResource, ConnectionBoundResource, ResourceLocality {

    private enum State { IDLE, ACTIVE, PREPARED }

    private final String resourceName;
    private final XAResource driver;
    private final String url;
    private final boolean inProcess;
    /** The XAConnection's logical connection, on which the branch's statements run (null for recovery). */
    private final java.sql.Connection logical;
    private State state = State.IDLE;
    private boolean broken;
    private Release parked;

    public NamedXaResource(String resourceName, XAResource driver, String url) {
        this(resourceName, driver, url, null);
    }

    public NamedXaResource(String resourceName, XAResource driver, String url, java.sql.Connection logical) {
        this.logical = logical;
        this.resourceName = resourceName;
        this.driver = driver;
        this.url = url;
        this.inProcess = JdbcLocality.inProcess(url);
    }

    /** From the JDBC URL ({@link JdbcLocality}): embedded H2 is in-process, a server is not. */
    @Override
    public boolean inProcess() {
        return inProcess;
    }

    @Override
    public String resourceName() {
        return resourceName;
    }

    @Override
    public java.sql.Connection branchConnection() {
        return logical;
    }

    public XAResource driverResource() {
        return driver;
    }

    /**
     * Gives the connection back (or parks it for phase 2) <b>outside</b> this resource's monitor, as
     * {@link #commit} and {@link #rollback} do: the pool hands a returned connection straight to a
     * waiting thread, whose {@link #start} on this same resource would otherwise block until the
     * returning thread left the monitor (seen as contended {@code start} calls at 16 threads, with
     * the returning thread descheduled on a busy machine).
     */
    @Override
    public void releaseWhenBranchEnds(Release release) {
        boolean reusable;
        synchronized (this) {
            if (state == State.PREPARED && !broken) {
                parked = release;
                return;
            }
            reusable = state == State.IDLE && !broken;
        }
        release.release(reusable);
    }

    /** Whether a prepared branch is open on the connection (phase 2 has not finished it). */
    public synchronized boolean holdsPreparedBranch() {
        return state == State.PREPARED;
    }

    @Override
    public synchronized void start(Xid xid, int flags) throws XAException {
        try {
            driver.start(xid, flags);
        } catch (XAException | RuntimeException e) {
            broken = true;
            throw e;
        }
        state = State.ACTIVE;
    }

    @Override
    public synchronized void end(Xid xid, int flags) throws XAException {
        try {
            driver.end(xid, flags);
        } catch (XAException | RuntimeException e) {
            broken = true;
            throw e;
        }
    }

    @Override
    public synchronized int prepare(Xid xid) throws XAException {
        int vote;
        try {
            vote = driver.prepare(xid);
        } catch (XAException e) {
            broken = true; // a "no" vote leaves the driver's connection in a state we do not know
            throw explainPreparedTransactionsDisabled(e);
        } catch (RuntimeException e) {
            broken = true;
            throw e;
        }
        state = vote == XA_RDONLY ? State.IDLE : State.PREPARED;
        return vote;
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
        Runnable handBack = null;
        try {
            synchronized (this) {
                try {
                    driver.commit(xid, onePhase);
                } catch (XAException e) {
                    handBack = phase2Failed(onePhase);
                    throw unknownOnlyIfNotListed(e, xid);
                } catch (RuntimeException e) {
                    handBack = phase2Failed(onePhase);
                    throw e;
                }
                handBack = branchFinished();
            }
        } finally {
            if (handBack != null) {
                handBack.run(); // outside the monitor: see releaseWhenBranchEnds
            }
        }
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        Runnable handBack = null;
        try {
            synchronized (this) {
                try {
                    driver.rollback(xid);
                } catch (XAException e) {
                    handBack = phase2Failed(false);
                    throw unknownOnlyIfNotListed(e, xid);
                } catch (RuntimeException e) {
                    handBack = phase2Failed(false);
                    throw e;
                }
                handBack = branchFinished();
            }
        } finally {
            if (handBack != null) {
                handBack.run(); // outside the monitor: see releaseWhenBranchEnds
            }
        }
    }

    /**
     * XAER_NOTA makes the transaction manager forget the branch, so it must mean finished. MariaDB
     * also answers it for a prepared branch still attached to another (live or closing) session,
     * which XA RECOVER still lists; that one is reported as temporarily unreachable instead.
     */
    private XAException unknownOnlyIfNotListed(XAException e, Xid xid) {
        if (e.errorCode != XAException.XAER_NOTA) {
            return e;
        }
        try {
            for (Xid listed : driver.recover(TMSTARTRSCAN | TMENDRSCAN)) {
                if (sameXid(listed, xid)) {
                    XAException unreachable = new XAException("branch " + xid + " of " + resourceName
                            + " is prepared but held by another session; retry after that session ends");
                    unreachable.errorCode = XAException.XAER_RMFAIL;
                    unreachable.initCause(e);
                    return unreachable;
                }
            }
        } catch (XAException | RuntimeException listing) {
            e.addSuppressed(listing);
        }
        return e;
    }

    private static boolean sameXid(Xid a, Xid b) {
        return a.getFormatId() == b.getFormatId()
                && java.util.Arrays.equals(a.getGlobalTransactionId(), b.getGlobalTransactionId())
                && java.util.Arrays.equals(a.getBranchQualifier(), b.getBranchQualifier());
    }

    /**
     * A prepared branch stays PREPARED, so the connection is parked for the manager's retry
     * through this resource; if that retry fails too, the connection is given up. Returns the
     * hand-back of a parked connection, for the caller to run once it has left the monitor (or null).
     */
    private Runnable phase2Failed(boolean onePhase) {
        if (onePhase || state != State.PREPARED) {
            broken = true;
        }
        if (parked != null) {
            Release release = parked;
            parked = null;
            broken = true;
            return () -> release.release(false);
        }
        return null;
    }

    /** As {@link #phase2Failed}: the hand-back of a parked connection, to run outside the monitor (or null). */
    private Runnable branchFinished() {
        state = State.IDLE;
        if (parked != null) {
            Release release = parked;
            parked = null;
            boolean reusable = !broken;
            return () -> release.release(reusable);
        }
        return null;
    }

    @Override
    public Xid[] recover(int flag) throws XAException {
        return driver.recover(flag);
    }

    @Override
    public void forget(Xid xid) throws XAException {
        driver.forget(xid);
    }

    @Override
    public boolean isSameRM(XAResource other) {
        // Joining would put two pooled connections on one branch, which drivers reject or mishandle.
        return other == this;
    }

    @Override
    public int getTransactionTimeout() throws XAException {
        return driver.getTransactionTimeout();
    }

    @Override
    public boolean setTransactionTimeout(int seconds) throws XAException {
        return driver.setTransactionTimeout(seconds);
    }

    @Override
    public String toString() {
        return "NamedXaResource[" + resourceName + ", " + driver + "]";
    }

    /** PostgreSQL's driver reports disabled prepared transactions as a bare XAException; say what to do. */
    private XAException explainPreparedTransactionsDisabled(XAException e) {
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && "55000".equals(sql.getSQLState())
                    && String.valueOf(sql.getMessage()).contains("prepared transactions are disabled")) {
                XAException explained = new XAException(DatabaseChecks.preparedTransactionsDisabled(url));
                explained.errorCode = e.errorCode;
                explained.initCause(e);
                return explained;
            }
        }
        return e;
    }
}
