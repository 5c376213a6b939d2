package io.quorumtx.jdbc.jdbi;

import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.tm.QuorumTransactionManager;
import jakarta.transaction.Status;
import jakarta.transaction.SystemException;
import jakarta.transaction.Transaction;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The connection of a Jdbi handle on a {@link TransactionalDataSource}, resolved at each call:
 * inside a QuorumTX transaction, the transaction's enlisted connection of that DataSource (taken
 * when the transaction is first seen, so a handle opened before the transaction began still works
 * in it); outside, a pooled connection of its own, taken on first need. Closing it releases both.
 *
 * <p>Why: Jdbi opens a handle's connection when the handle opens, which for
 * {@code jdbi.inTransaction} is before the transaction begins; a connection taken outside a
 * transaction is not enlisted, and its work would commit on its own. Confined to the handle's thread.
 */
final class TransactionAwareConnection implements InvocationHandler {
    private final QuorumTransactionManager tm;
    private final TransactionalDataSource dataSource;
    private Connection outside;
    private Transaction enlistedIn;
    private Connection enlisted;
    private boolean closed;

    private TransactionAwareConnection(QuorumTransactionManager tm, TransactionalDataSource dataSource) {
        this.tm = tm;
        this.dataSource = dataSource;
    }

    static Connection open(QuorumTransactionManager tm, TransactionalDataSource dataSource) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                new TransactionAwareConnection(tm, dataSource));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        switch (method.getName()) {
            case "close" -> {
                closed = true;
                release();
                return null;
            }
            case "isClosed" -> {
                return closed;
            }
            case "equals" -> {
                return proxy == args[0];
            }
            case "hashCode" -> {
                return System.identityHashCode(proxy);
            }
            case "toString" -> {
                return "TransactionAwareConnection[" + dataSource.name() + "]";
            }
            default -> {
                if (closed) {
                    throw new SQLException("This Jdbi connection of " + dataSource.name() + " is closed");
                }
                try {
                    return method.invoke(target(), args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }
        }
    }

    private Connection target() throws SQLException {
        Transaction tx;
        try {
            tx = tm.getTransaction();
            if (tx != null && tx.getStatus() != Status.STATUS_ACTIVE && tx.getStatus() != Status.STATUS_MARKED_ROLLBACK) {
                tx = null;
            }
        } catch (SystemException e) {
            throw new SQLException("Cannot read the QuorumTX transaction: " + e.getMessage(), e);
        }
        if (tx != null) {
            if (tx != enlistedIn) {
                closeEnlisted();
                enlisted = dataSource.getConnection(); // enlists, or a new handle on the enlisted connection
                enlistedIn = tx;
            }
            return enlisted;
        }
        closeEnlisted();
        if (outside == null) {
            outside = dataSource.getConnection(); // no transaction: the pool's, auto-commit
        }
        return outside;
    }

    private void closeEnlisted() throws SQLException {
        Connection c = enlisted;
        enlisted = null;
        enlistedIn = null;
        if (c != null) {
            c.close(); // a handle: the connection returns to the pool when its transaction completes
        }
    }

    private void release() throws SQLException {
        SQLException failure = null;
        try {
            closeEnlisted();
        } catch (SQLException e) {
            failure = e;
        }
        Connection c = outside;
        outside = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
