package io.quorumtx.it.support;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;

import javax.sql.ConnectionEventListener;
import javax.sql.StatementEventListener;
import javax.sql.XAConnection;
import javax.sql.XADataSource;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * H2's real XADataSource with failures injected on demand through {@link Faults}: a prepare
 * that votes no (after really rolling the branch back), and a phase-2 commit whose connection
 * is lost (H2's session is closed under the XA connection, leaving the branch prepared in doubt,
 * and the caller gets XAER_RMFAIL). Embedded H2 cannot lose a connection or refuse a prepare on its own; every
 * other call is H2's. Also wraps PostgreSQL's and MariaDB's XADataSources, whose lost connection is a
 * closed XAConnection.
 */
public final class FaultInjectingXADataSource implements XADataSource {
    private final XADataSource delegate;
    private final Faults faults;

    public FaultInjectingXADataSource(XADataSource delegate, Faults faults) {
        this.delegate = delegate;
        this.faults = faults;
    }

    @Override
    public XAConnection getXAConnection() throws SQLException {
        return new FaultyXAConnection(delegate.getXAConnection(), faults);
    }

    @Override
    public XAConnection getXAConnection(String user, String password) throws SQLException {
        return new FaultyXAConnection(delegate.getXAConnection(user, password), faults);
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return delegate.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return delegate.getParentLogger();
    }

    private static final class FaultyXAConnection implements XAConnection {
        private final XAConnection delegate;
        private final FaultyXAResource resource;

        FaultyXAConnection(XAConnection delegate, Faults faults) throws SQLException {
            this.delegate = delegate;
            this.resource = new FaultyXAResource(delegate, faults);
        }

        @Override
        public XAResource getXAResource() {
            return resource;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return delegate.getConnection();
        }

        @Override
        public void close() throws SQLException {
            delegate.close();
        }

        @Override
        public void addConnectionEventListener(ConnectionEventListener listener) {
            delegate.addConnectionEventListener(listener);
        }

        @Override
        public void removeConnectionEventListener(ConnectionEventListener listener) {
            delegate.removeConnectionEventListener(listener);
        }

        @Override
        public void addStatementEventListener(StatementEventListener listener) {
            delegate.addStatementEventListener(listener);
        }

        @Override
        public void removeStatementEventListener(StatementEventListener listener) {
            delegate.removeStatementEventListener(listener);
        }
    }

    private static final class FaultyXAResource implements XAResource {
        private final XAConnection connection;
        private final XAResource delegate;
        private final Faults faults;

        FaultyXAResource(XAConnection connection, Faults faults) throws SQLException {
            this.connection = connection;
            this.delegate = connection.getXAResource();
            this.faults = faults;
        }

        @Override
        public int prepare(Xid xid) throws XAException {
            if (faults.takePrepareFault()) {
                delegate.rollback(xid);
                throw xaException(XAException.XA_RBROLLBACK, "injected: the database voted no");
            }
            return delegate.prepare(xid);
        }

        @Override
        public void commit(Xid xid, boolean onePhase) throws XAException {
            if (!onePhase && faults.takeTransientCommitFault()) {
                throw xaException(XAException.XAER_RMFAIL, "injected: phase-2 commit timed out");
            }
            if (!onePhase && faults.takeCommitFault()) {
                losePhysicalConnection();
                throw xaException(XAException.XAER_RMFAIL, "injected: connection lost during phase-2 commit");
            }
            delegate.commit(xid, onePhase);
        }

        /**
         * Closes H2's session under the XAConnection, as a dropped network connection would end
         * a server's session: the prepared branch stays in doubt in the database. Closing the
         * XAConnection itself would not do: H2 2.4.240's {@code JdbcXAConnection.close()} (and
         * closing its handle) rolls back even a prepared branch, which a real connection loss
         * never does. The field is private to H2, hence reflection.
         */
        private void losePhysicalConnection() throws XAException {
            if (!connection.getClass().getName().startsWith("org.h2.")) {
                // PostgreSQL and MariaDB keep a prepared branch when its session ends, so closing
                // the XAConnection (and with it the physical connection) is a faithful loss.
                try {
                    connection.close();
                    return;
                } catch (SQLException e) {
                    XAException failure = xaException(XAException.XAER_RMERR,
                            "could not close the XAConnection to inject a lost connection: " + e);
                    failure.initCause(e);
                    throw failure;
                }
            }
            try {
                java.lang.reflect.Field field = connection.getClass().getDeclaredField("physicalConn");
                field.setAccessible(true);
                ((Connection) field.get(connection)).close();
            } catch (ReflectiveOperationException | SQLException | ClassCastException e) {
                XAException failure = xaException(XAException.XAER_RMERR,
                        "could not drop H2's session to inject a lost connection: " + e);
                failure.initCause(e);
                throw failure;
            }
        }

        @Override
        public boolean isSameRM(XAResource other) throws XAException {
            return delegate.isSameRM(other instanceof FaultyXAResource f ? f.delegate : other);
        }

        @Override
        public void start(Xid xid, int flags) throws XAException {
            delegate.start(xid, flags);
        }

        @Override
        public void end(Xid xid, int flags) throws XAException {
            delegate.end(xid, flags);
        }

        @Override
        public void rollback(Xid xid) throws XAException {
            delegate.rollback(xid);
        }

        @Override
        public void forget(Xid xid) throws XAException {
            delegate.forget(xid);
        }

        @Override
        public Xid[] recover(int flag) throws XAException {
            return delegate.recover(flag);
        }

        @Override
        public int getTransactionTimeout() throws XAException {
            return delegate.getTransactionTimeout();
        }

        @Override
        public boolean setTransactionTimeout(int seconds) throws XAException {
            return delegate.setTransactionTimeout(seconds);
        }

        private static XAException xaException(int code, String message) {
            XAException e = new XAException(message);
            e.errorCode = code;
            return e;
        }
    }
}
