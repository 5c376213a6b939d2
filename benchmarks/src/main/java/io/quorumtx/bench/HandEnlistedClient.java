package io.quorumtx.bench;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.XAConnection;
import javax.transaction.xa.XAResource;

import jakarta.transaction.Status;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionManager;

/**
 * A client that holds one XA connection per database and enlists their XAResources by hand,
 * the way a transaction manager without a JDBC integration of its own is driven. Shared by
 * Narayana and by the {@code quorumtx-tm} diagnostic, so both pay exactly the same JDBC costs and
 * differ only in the transaction manager.
 */
final class HandEnlistedClient implements TransferSystem.Client {
    private final TransactionManager tm;
    private final XAConnection xcA;
    private final XAConnection xcB;
    private final Connection conA;
    private final Connection conB;
    private final XAResource resA;
    private final XAResource resB;

    HandEnlistedClient(TransactionManager tm, BankDatabase a, BankDatabase b) throws SQLException {
        this.tm = tm;
        this.xcA = a.xaDataSource().getXAConnection();
        this.xcB = b.xaDataSource().getXAConnection();
        this.conA = xcA.getConnection();
        this.conB = xcB.getConnection();
        this.resA = xcA.getXAResource();
        this.resB = xcB.getXAResource();
    }

    @Override
    public void transfer(int fromId, int toId, long amount) throws Exception {
        tm.begin();
        try {
            Transaction tx = tm.getTransaction();
            tx.enlistResource(resA);
            Transfers.debit(conA, fromId, amount);
            tx.enlistResource(resB);
            Transfers.credit(conB, toId, amount);
        } catch (Exception e) {
            tm.rollback();
            throw e;
        }
        try {
            tm.commit();
        } finally {
            if (tm.getStatus() != Status.STATUS_NO_TRANSACTION) {
                tm.rollback();
            }
        }
    }

    @Override
    public void close() throws SQLException {
        xcA.close();
        xcB.close();
    }
}
