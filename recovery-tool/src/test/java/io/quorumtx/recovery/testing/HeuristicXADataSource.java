package io.quorumtx.recovery.testing;

import io.quorumtx.tm.xid.QuorumXid;
import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
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
 * A database that decided on its own, which no real database here can be made to do on demand:
 * configured as {@code xa-data-source} with URL {@code jdbc:fake:<gtrid>:<resource>}, it lists one
 * prepared branch of that transaction, answers commit with XA_HEURRB (it rolled back by itself)
 * and drops the branch once it is forgotten. State lives in the instance the tool creates.
 */
public final class HeuristicXADataSource implements XADataSource {
    private String url;
    private volatile boolean forgotten;

    public void setURL(String url) {
        this.url = url;
    }

    @SuppressWarnings("StringSplitter") // the URL is built by the test with four non-empty parts
    private QuorumXid xid() {
        String[] parts = url.split(":");
        return new QuorumXid(parts[2], parts[3]);
    }

    @Override
    public XAConnection getXAConnection() {
        Connection logical = proxy(Connection.class, (p, m, a) -> switch (m.getName()) {
            case "getMetaData" -> proxy(DatabaseMetaData.class, (p2, m2, a2) -> switch (m2.getName()) {
                case "getDatabaseProductName" -> "FakeHeuristicDB";
                case "getURL" -> url;
                default -> null;
            });
            case "getAutoCommit", "isClosed" -> true;
            default -> null;
        });
        XAResource resource = new Resource();
        return new XAConnection() {
            @Override
            public XAResource getXAResource() {
                return resource;
            }

            @Override
            public Connection getConnection() {
                return logical;
            }

            @Override
            public void close() {
            }

            @Override
            public void addConnectionEventListener(ConnectionEventListener l) {
            }

            @Override
            public void removeConnectionEventListener(ConnectionEventListener l) {
            }

            @Override
            public void addStatementEventListener(StatementEventListener l) {
            }

            @Override
            public void removeStatementEventListener(StatementEventListener l) {
            }
        };
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, java.lang.reflect.InvocationHandler handler) {
        return (T) Proxy.newProxyInstance(HeuristicXADataSource.class.getClassLoader(), new Class<?>[] {type}, handler);
    }

    private final class Resource implements XAResource {
        @Override
        public Xid[] recover(int flag) {
            return forgotten || (flag & TMSTARTRSCAN) == 0 ? new Xid[0] : new Xid[] {xid()};
        }

        @Override
        public void commit(Xid xid, boolean onePhase) throws XAException {
            throw new XAException(forgotten ? XAException.XAER_NOTA : XAException.XA_HEURRB);
        }

        @Override
        public void rollback(Xid xid) throws XAException {
            if (forgotten) {
                throw new XAException(XAException.XAER_NOTA);
            }
            forgotten = true;
        }

        @Override
        public void forget(Xid xid) {
            forgotten = true;
        }

        @Override
        public void end(Xid xid, int flags) {
        }

        @Override
        public int getTransactionTimeout() {
            return 0;
        }

        @Override
        public boolean isSameRM(XAResource other) {
            return other == this;
        }

        @Override
        public int prepare(Xid xid) {
            return XA_OK;
        }

        @Override
        public boolean setTransactionTimeout(int seconds) {
            return false;
        }

        @Override
        public void start(Xid xid, int flags) {
        }
    }

    @Override
    public XAConnection getXAConnection(String user, String password) {
        return getXAConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
    }

    @Override
    public void setLoginTimeout(int seconds) {
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }
}
