package io.quorumtx.jdbc.testing;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.ConnectionEventListener;
import javax.sql.DataSource;
import javax.sql.StatementEventListener;
import javax.sql.XAConnection;
import javax.sql.XADataSource;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * Phase-2 commits that fail on demand without touching the database, as a timeout would: the
 * branch stays prepared and the session stays alive. Embedded H2 never fails this way by itself.
 */
public final class Phase2Faults {

    private final AtomicInteger remaining = new AtomicInteger();
    private volatile String sqlState = "HYT00";

    /** The next {@code count} phase-2 commits fail; through SQL with a timeout's SQLState (HYT00). */
    public void failNextCommits(int count) {
        failNextCommits(count, "HYT00");
    }

    /**
     * The next {@code count} phase-2 commits fail; through SQL with {@code sqlState}. With a
     * connection-failure state (08xxx) HikariCP itself evicts the connection, as after a lost network.
     */
    public void failNextCommits(int count, String sqlState) {
        this.sqlState = sqlState;
        remaining.set(count);
    }

    private boolean take() {
        return remaining.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    /** An H2 XADataSource whose XAResources fail phase-2 commits on demand (XAER_RMFAIL). */
    public XADataSource xa(XADataSource delegate) {
        return new XADataSource() {
            @Override
            public XAConnection getXAConnection() throws SQLException {
                return wrap(delegate.getXAConnection());
            }

            @Override
            public XAConnection getXAConnection(String user, String password) throws SQLException {
                return wrap(delegate.getXAConnection(user, password));
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
        };
    }

    private XAConnection wrap(XAConnection xa) throws SQLException {
        XAResource driver = xa.getXAResource();
        XAResource faulty = (XAResource) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {XAResource.class}, (proxy, method, args) -> {
                    if (method.getName().equals("commit") && !(Boolean) args[1] && take()) {
                        XAException e = new XAException("injected: phase-2 commit timed out");
                        e.errorCode = XAException.XAER_RMFAIL;
                        throw e;
                    }
                    return invoke(driver, method, args);
                });
        return new XAConnection() {
            @Override
            public XAResource getXAResource() {
                return faulty;
            }

            @Override
            public Connection getConnection() throws SQLException {
                return xa.getConnection();
            }

            @Override
            public void close() throws SQLException {
                xa.close();
            }

            @Override
            public void addConnectionEventListener(ConnectionEventListener listener) {
                xa.addConnectionEventListener(listener);
            }

            @Override
            public void removeConnectionEventListener(ConnectionEventListener listener) {
                xa.removeConnectionEventListener(listener);
            }

            @Override
            public void addStatementEventListener(StatementEventListener listener) {
                xa.addStatementEventListener(listener);
            }

            @Override
            public void removeStatementEventListener(StatementEventListener listener) {
                xa.removeStatementEventListener(listener);
            }
        };
    }

    /** A DataSource whose statements fail {@code COMMIT TRANSACTION} on demand. */
    public DataSource dialect(DataSource delegate) {
        InvocationHandler dataSource = (proxy, method, args) -> {
            Object result = invoke(delegate, method, args);
            return result instanceof Connection c ? connection(c) : result;
        };
        return (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class}, dataSource);
    }

    private Connection connection(Connection c) {
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    Object result = invoke(c, method, args);
                    return method.getName().equals("createStatement") ? statement((Statement) result) : result;
                });
    }

    private Statement statement(Statement s) {
        return (Statement) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Statement.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("execute") && args != null && args[0] instanceof String sql
                            && sql.startsWith("COMMIT TRANSACTION") && take()) {
                        throw new SQLException("injected: phase-2 commit failed", sqlState);
                    }
                    return invoke(s, method, args);
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
