package io.quorumtx.jdbc.internal;

import io.quorumtx.jdbc.internal.shared.Redaction;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;
import javax.sql.XAConnection;
import javax.sql.XADataSource;

/**
 * The {@link DataSource} HikariCP draws from when it pools an {@link XADataSource}: each new
 * physical connection is a fresh XAConnection, handed over as an {@link XaPhysicalConnection}.
 */
public final class XaConnectionSource implements DataSource {

    private final XADataSource xaDataSource;
    private final String resourceName;

    public XaConnectionSource(XADataSource xaDataSource, String resourceName) {
        this.xaDataSource = xaDataSource;
        this.resourceName = resourceName;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return wrap(xaDataSource.getXAConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return wrap(xaDataSource.getXAConnection(username, password));
    }

    private Connection wrap(XAConnection xa) throws SQLException {
        try {
            Connection logical = xa.getConnection();
            NamedXaResource resource = new NamedXaResource(resourceName, xa.getXAResource(), Redaction.url(logical), logical);
            boolean h2 = "H2".equalsIgnoreCase(logical.getMetaData().getDatabaseProductName());
            return new ForwardingXaPhysicalConnection(xa, logical, resource, h2);
        } catch (SQLException | RuntimeException e) {
            try {
                xa.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return xaDataSource.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        xaDataSource.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        xaDataSource.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return xaDataSource.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return xaDataSource.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        if (type.isInstance(xaDataSource)) {
            return type.cast(xaDataSource);
        }
        throw new SQLException("not a wrapper for " + type.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this) || type.isInstance(xaDataSource);
    }
}
