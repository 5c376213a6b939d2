package io.quorumtx.it.support;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Locale;
import java.util.logging.Logger;

import javax.sql.DataSource;

/**
 * A plain DataSource (the kind an application hands to HikariCP) with the dialect's
 * two-phase-commit statements failing on demand through {@link Faults}: the prepare
 * ({@code PREPARE COMMIT}, {@code PREPARE TRANSACTION}, {@code XA PREPARE}) votes no (the
 * branch is really rolled back, SQLState 40001), and the phase-2 commit ({@code COMMIT TRANSACTION},
 * {@code COMMIT PREPARED}, {@code XA COMMIT} without {@code ONE PHASE}) loses its connection (the
 * physical connection is closed, leaving the branch in doubt in the database, SQLState 08006).
 * Written for H2 and used for PostgreSQL and MariaDB too; everything else runs on the database unchanged.
 */
public final class FaultInjectingDataSource implements DataSource {
    private final DataSource delegate;
    private final Faults faults;

    public FaultInjectingDataSource(DataSource delegate, Faults faults) {
        this.delegate = delegate;
        this.faults = faults;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return wrap(delegate.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return wrap(delegate.getConnection(username, password));
    }

    private Connection wrap(Connection real) {
        InvocationHandler handler = (proxy, method, args) -> {
            Object result = invoke(real, method, args);
            if (result instanceof Statement statement && method.getName().equals("createStatement")) {
                return wrapStatement(real, statement);
            }
            return result;
        };
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, handler);
    }

    private Statement wrapStatement(Connection real, Statement statement) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getName().startsWith("execute") && args != null && args.length > 0 && args[0] instanceof String sql) {
                injectFault(real, sql);
            }
            return invoke(statement, method, args);
        };
        return (Statement) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Statement.class}, handler);
    }

    private void injectFault(Connection real, String sql) throws SQLException {
        String trimmed = sql.trim();
        String upper = trimmed.toUpperCase(Locale.ROOT);
        if (isPrepare(upper) && faults.takePrepareFault()) {
            if (upper.startsWith("XA PREPARE")) {
                // MySQL/MariaDB: the XA branch is idle, not a local transaction; end it as a "no" leaves it.
                try (Statement rollback = real.createStatement()) {
                    rollback.execute("XA ROLLBACK" + trimmed.substring("XA PREPARE".length()));
                }
            } else {
                real.rollback();
            }
            throw new SQLException("injected: the database refused to prepare", "40001");
        }
        if (isPhase2Commit(upper) && faults.takeTransientCommitFault()) {
            throw new SQLException("injected: phase-2 commit timed out", "08006");
        }
        if (isPhase2Commit(upper) && faults.takeCommitFault()) {
            real.close();
            throw new SQLException("injected: connection lost during phase-2 commit", "08006");
        }
    }

    /** The prepare statement of the H2, PostgreSQL and MySQL/MariaDB dialects. */
    private static boolean isPrepare(String upper) {
        return upper.startsWith("PREPARE COMMIT") || upper.startsWith("PREPARE TRANSACTION")
                || upper.startsWith("XA PREPARE");
    }

    /** The commit of a prepared branch (never a one-phase commit) in the same three dialects. */
    private static boolean isPhase2Commit(String upper) {
        return upper.startsWith("COMMIT TRANSACTION") || upper.startsWith("COMMIT PREPARED")
                || (upper.startsWith("XA COMMIT") && !upper.endsWith("ONE PHASE"));
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
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

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException(getClass().getSimpleName() + " does not wrap " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }
}
