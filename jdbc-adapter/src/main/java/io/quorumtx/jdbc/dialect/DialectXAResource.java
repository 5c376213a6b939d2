package io.quorumtx.jdbc.dialect;

import io.quorumtx.jdbc.internal.shared.ConnectionBoundResource;
import io.quorumtx.jdbc.internal.shared.JdbcLocality;
import io.quorumtx.tm.spi.NamedResource;
import io.quorumtx.tm.spi.ResourceLocality;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link XAResource} over a plain JDBC connection: the XA state machine here, the SQL in a
 * {@link Dialect}. One instance carries at most one branch at a time, on its connection.
 *
 * <p>Phase-2 calls for the branch this instance carries run on its own connection (H2 requires
 * the preparing session while it lives); calls for any other Xid are recovery work and run the
 * by-name statements on this connection, which must then be in auto-commit mode. Methods are
 * synchronized because the transaction manager's reaper may roll back from another thread; no
 * application work runs under the lock.
 */
public final class DialectXAResource implements XAResource, NamedResource, ConnectionBoundResource,
        ResourceLocality {

    private static final Logger LOG = LoggerFactory.getLogger(DialectXAResource.class);

    private enum State { IDLE, ACTIVE, ENDED, PREPARED }

    private final Connection connection;
    private final Dialect dialect;
    private final String resourceName;

    private State state = State.IDLE;
    private Xid current;
    private boolean restoreAutoCommit;
    private boolean rollbackOnly;
    private boolean failed;
    private Release parked;
    private Boolean inProcess; // null: not known yet, read from the connection's URL when first asked

    public DialectXAResource(Connection connection, Dialect dialect, String resourceName) {
        this.connection = connection;
        this.dialect = dialect;
        this.resourceName = resourceName;
    }

    /**
     * As {@link #DialectXAResource(Connection, Dialect, String)}, saying whether the database is
     * embedded (a DataSource knows it once for all its connections).
     */
    public DialectXAResource(Connection connection, Dialect dialect, String resourceName, boolean inProcess) {
        this(connection, dialect, resourceName);
        this.inProcess = inProcess;
    }

    /** Embedded H2 is in-process; PostgreSQL, MariaDB and H2 over TCP are not (see the README). */
    @Override
    public synchronized boolean inProcess() {
        if (inProcess == null) {
            inProcess = JdbcLocality.inProcess(connection);
        }
        return inProcess;
    }

    @Override
    public String resourceName() {
        return resourceName;
    }

    public Connection connection() {
        return connection;
    }

    @Override
    public Connection branchConnection() {
        return connection;
    }

    /** True when no branch is open on the connection and every call on it succeeded. */
    public synchronized boolean connectionReusable() {
        return state == State.IDLE && !failed;
    }

    @Override
    public synchronized void releaseWhenBranchEnds(Release release) {
        if (state == State.PREPARED && !failed) {
            parked = release; // the manager's phase-2 retry comes through this resource first
        } else {
            // Not parked after a failed phase-2 call: the retrier's first attempt may already have
            // come through here (before the transaction ended) and gone on to recovery connections,
            // so nothing would ever take the connection back. Closing it also lets go of a branch
            // that MariaDB keeps attached to its session, so recovery can finish it elsewhere.
            release.release(connectionReusable());
        }
    }

    @Override
    public synchronized void start(Xid xid, int flags) throws XAException {
        if ((flags & (TMJOIN | TMRESUME)) != 0) {
            if (state != State.ACTIVE || !isCurrent(xid)) {
                throw XaErrors.error(XAException.XAER_NOTA, "cannot join or resume " + xid + ": " + describe());
            }
            return;
        }
        if (flags != TMNOFLAGS) {
            throw XaErrors.error(XAException.XAER_INVAL, "unsupported start flags " + flags);
        }
        if (state != State.IDLE) {
            throw XaErrors.error(XAException.XAER_PROTO, "cannot start " + xid + ": " + describe());
        }
        try {
            restoreAutoCommit = connection.getAutoCommit();
            dialect.start(connection, xid);
        } catch (SQLException e) {
            failed = true;
            throw XaErrors.fromSql(e, dialect, "start " + xid + " on " + resourceName);
        }
        current = xid;
        state = State.ACTIVE;
        rollbackOnly = false;
    }

    @Override
    public synchronized void end(Xid xid, int flags) throws XAException {
        requireCurrent(xid, "end");
        if (flags == TMSUSPEND) {
            return; // databases cannot detach a branch from a session: it stays on this connection
        }
        if (flags != TMSUCCESS && flags != TMFAIL) {
            throw XaErrors.error(XAException.XAER_INVAL, "unsupported end flags " + flags);
        }
        if (flags == TMFAIL) {
            rollbackOnly = true;
        }
        if (state == State.ACTIVE) {
            endWork(xid);
        }
    }

    @Override
    public synchronized int prepare(Xid xid) throws XAException {
        requireCurrent(xid, "prepare");
        if (state == State.PREPARED) {
            throw XaErrors.error(XAException.XAER_PROTO, "already prepared: " + xid);
        }
        if (rollbackOnly) {
            rollback(xid);
            throw XaErrors.error(XAException.XA_RBROLLBACK, "branch " + xid + " was ended with TMFAIL");
        }
        if (state == State.ACTIVE) {
            endWork(xid);
        }
        requireManualCommit(xid);
        try {
            dialect.prepare(connection, xid);
        } catch (SQLException e) {
            // The database either rolled the branch back or never prepared it; make sure of it.
            abandonAfterFailedPrepare(xid, e);
            throw XaErrors.vote(e, "prepare " + xid + " on " + resourceName);
        }
        state = State.PREPARED;
        return XA_OK;
    }

    @Override
    public synchronized void commit(Xid xid, boolean onePhase) throws XAException {
        if (onePhase) {
            commitOnePhase(xid);
            return;
        }
        boolean ours = isCurrent(xid);
        if (ours && state != State.PREPARED) {
            throw XaErrors.error(XAException.XAER_PROTO, "commit of unprepared branch " + xid + ": " + describe());
        }
        try {
            dialect.commitPrepared(connection, xid);
        } catch (SQLException e) {
            if (ours) {
                failed = true;
                giveUpParkedConnection();
            }
            throw phase2Failure(e, xid, "commit prepared branch " + xid + " on " + resourceName);
        }
        if (ours) {
            finishBranch();
        }
    }

    private void commitOnePhase(Xid xid) throws XAException {
        requireCurrent(xid, "commit in one phase");
        if (state == State.PREPARED) {
            throw XaErrors.error(XAException.XAER_PROTO, "one-phase commit of prepared branch " + xid);
        }
        if (state == State.ACTIVE) {
            endWork(xid);
        }
        if (rollbackOnly) {
            rollback(xid);
            throw XaErrors.error(XAException.XA_RBROLLBACK, "branch " + xid + " was ended with TMFAIL");
        }
        requireManualCommit(xid);
        try {
            dialect.commitOnePhase(connection, xid);
        } catch (SQLException e) {
            failed = true;
            throw XaErrors.onePhase(e, "commit " + xid + " in one phase on " + resourceName);
        }
        finishBranch();
    }

    @Override
    public synchronized void rollback(Xid xid) throws XAException {
        if (!isCurrent(xid)) {
            try {
                dialect.rollbackPrepared(connection, xid);
            } catch (SQLException e) {
                throw phase2Failure(e, xid, "roll back prepared branch " + xid + " on " + resourceName);
            }
            return;
        }
        try {
            if (state == State.ACTIVE) {
                endWork(xid);
            }
            if (state == State.PREPARED) {
                dialect.rollbackPrepared(connection, xid);
            } else {
                dialect.rollbackUnprepared(connection, xid);
            }
        } catch (SQLException e) {
            failed = true;
            giveUpParkedConnection();
            throw XaErrors.fromSql(e, dialect, "roll back branch " + xid + " on " + resourceName);
        }
        finishBranch();
    }

    @Override
    public Xid[] recover(int flag) throws XAException {
        if ((flag & ~(TMSTARTRSCAN | TMENDRSCAN)) != 0) {
            throw XaErrors.error(XAException.XAER_INVAL, "unsupported recover flags " + flag);
        }
        if ((flag & TMSTARTRSCAN) == 0) {
            return new Xid[0]; // the whole list was returned by the scan's start
        }
        synchronized (this) {
            try {
                List<Xid> xids = dialect.recover(connection);
                return xids.toArray(new Xid[0]);
            } catch (SQLException e) {
                throw XaErrors.fromSql(e, dialect, "list prepared branches on " + resourceName);
            }
        }
    }

    @Override
    public void forget(Xid xid) {
        // None of these databases keeps heuristic outcomes to forget.
    }

    @Override
    public boolean isSameRM(XAResource other) {
        // Each instance is one connection: joining another connection's branch is impossible in SQL.
        return other == this;
    }

    @Override
    public int getTransactionTimeout() {
        return 0;
    }

    @Override
    public boolean setTransactionTimeout(int seconds) {
        return false;
    }

    @Override
    public synchronized String toString() {
        return "DialectXAResource[" + resourceName + ", " + dialect.name() + ", " + describe() + "]";
    }

    /**
     * "Unknown branch" must mean finished, because the transaction manager then forgets it. MariaDB
     * also says so for a prepared branch still attached to another (live or closing) session, which
     * still lists it in XA RECOVER; that branch is reported as temporarily unreachable instead, so
     * the caller retries.
     */
    private XAException phase2Failure(SQLException e, Xid xid, String action) {
        XAException failure = XaErrors.fromSql(e, dialect, action);
        if (failure.errorCode == XAException.XAER_NOTA) {
            try {
                if (dialect.recover(connection).contains(BranchXid.copyOf(xid))) {
                    return XaErrors.wrap(XAException.XAER_RMFAIL, action + " (the branch is prepared but still"
                            + " attached to another session; retry after that session ends)", e);
                }
            } catch (SQLException | RuntimeException listing) {
                failure.addSuppressed(listing);
            }
        }
        return failure;
    }

    private void endWork(Xid xid) throws XAException {
        try {
            dialect.end(connection, xid);
        } catch (SQLException e) {
            failed = true;
            throw XaErrors.fromSql(e, dialect, "end " + xid + " on " + resourceName);
        }
        state = State.ENDED;
    }

    /**
     * Someone switched auto-commit on while the branch was open: its statements were committed
     * one by one, outside the transaction, and PostgreSQL would even "prepare" an empty branch
     * with only a warning. Refuse rather than report a prepared or committed branch.
     */
    private void requireManualCommit(Xid xid) throws XAException {
        boolean autoCommit;
        try {
            autoCommit = dialect.branchIsLocalTransaction() && connection.getAutoCommit();
        } catch (SQLException e) {
            failed = true;
            throw XaErrors.fromSql(e, dialect, "check the connection of " + xid + " on " + resourceName);
        }
        if (autoCommit) {
            failed = true;
            throw XaErrors.error(XAException.XAER_PROTO, "auto-commit was switched on while branch " + xid + " of "
                    + resourceName + " was open, so its statements were committed outside the transaction;"
                    + " never call setAutoCommit(true) on an enlisted connection");
        }
    }

    private void abandonAfterFailedPrepare(Xid xid, SQLException cause) {
        try {
            dialect.rollbackUnprepared(connection, xid);
            finishBranch();
        } catch (SQLException | RuntimeException e) {
            cause.addSuppressed(e);
            failed = true; // unknown state: the connection must not be reused
        }
    }

    /** Puts the connection back as the pool lent it. A failure here means eviction, not a lost outcome. */
    private void finishBranch() {
        state = State.IDLE;
        current = null;
        rollbackOnly = false;
        try {
            if (restoreAutoCommit && !connection.getAutoCommit()) {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            failed = true;
            LOG.warn("Could not restore auto-commit on a connection of {}; it will be evicted", resourceName, e);
        }
        if (parked != null) {
            Release release = parked;
            parked = null;
            release.release(!failed);
        }
    }

    /** A retry through this parked connection failed too: let it go, recovery finishes the branch elsewhere. */
    private void giveUpParkedConnection() {
        if (parked != null) {
            Release release = parked;
            parked = null;
            release.release(false);
        }
    }

    private void requireCurrent(Xid xid, String action) throws XAException {
        if (state == State.IDLE || !isCurrent(xid)) {
            throw XaErrors.error(XAException.XAER_NOTA, "cannot " + action + " " + xid + ": " + describe());
        }
    }

    /** By content: the transaction manager may hand phase 2 a different Xid object for the same branch. */
    private boolean isCurrent(Xid xid) {
        Xid c = current;
        return c != null && (xid == c || (xid.getFormatId() == c.getFormatId()
                && Arrays.equals(xid.getGlobalTransactionId(), c.getGlobalTransactionId())
                && Arrays.equals(xid.getBranchQualifier(), c.getBranchQualifier())));
    }

    private String describe() {
        return current == null ? "no branch on this connection" : "connection carries " + current + " (" + state + ")";
    }
}
