package io.quorumtx.bench;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.XAConnection;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * {@code raw-xa}, the ceiling: the same two-phase commit on the same H2 XA connections, driven
 * by hand (start, end, prepare and commit on both branches) with no transaction manager, no pool
 * and no log. Anything a transaction manager adds shows up as the distance to this line.
 * Each client holds its own pair of XA connections for the whole run.
 */
final class RawXaSystem implements TransferSystem {
    private final BankDatabase a;
    private final BankDatabase b;
    private final AtomicLong clients = new AtomicLong();

    RawXaSystem(BankDatabase a, BankDatabase b) {
        this.a = a;
        this.b = b;
    }

    @Override
    public Client newClient() throws Exception {
        return new RawClient(clients.incrementAndGet(), a.xaDataSource().getXAConnection(),
                b.xaDataSource().getXAConnection());
    }

    @Override
    public void close() {
    }

    /**
     * Diagnostic ({@code -Dbench.rawDecisionDelayMicros}, default 0): a pause between prepare and
     * commit standing in for a forced log write, to see what waiting prepared branches alone cost
     * H2, with no transaction manager code at all.
     */
    private static final long decisionDelayNanos = Long.getLong("bench.rawDecisionDelayMicros", 0) * 1000;

    private static final class RawClient implements Client {
        private final long clientId;
        private final XAConnection xcA;
        private final XAConnection xcB;
        private final Connection conA;
        private final Connection conB;
        private final XAResource resA;
        private final XAResource resB;
        private long sequence;

        RawClient(long clientId, XAConnection xcA, XAConnection xcB) throws Exception {
            this.clientId = clientId;
            this.xcA = xcA;
            this.xcB = xcB;
            this.conA = xcA.getConnection();
            this.conB = xcB.getConnection();
            this.resA = xcA.getXAResource();
            this.resB = xcB.getXAResource();
        }

        @Override
        public void transfer(int fromId, int toId, long amount) throws Exception {
            long seq = ++sequence;
            Xid xa = BenchXid.of(clientId, seq, (byte) 'a');
            Xid xb = BenchXid.of(clientId, seq, (byte) 'b');
            boolean aStarted = false;
            boolean bStarted = false;
            try {
                resA.start(xa, XAResource.TMNOFLAGS);
                aStarted = true;
                Transfers.debit(conA, fromId, amount);
                resA.end(xa, XAResource.TMSUCCESS);
                resB.start(xb, XAResource.TMNOFLAGS);
                bStarted = true;
                Transfers.credit(conB, toId, amount);
                resB.end(xb, XAResource.TMSUCCESS);
                vote(resA.prepare(xa));
                vote(resB.prepare(xb));
            } catch (Exception e) {
                rollbackQuietly(resA, xa, aStarted, e);
                rollbackQuietly(resB, xb, bStarted, e);
                throw e;
            }
            // Past this point the (imaginary) decision is commit; a failure here would be in doubt.
            if (decisionDelayNanos > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(decisionDelayNanos);
            }
            resA.commit(xa, false);
            resB.commit(xb, false);
        }

        private static void vote(int vote) throws XAException {
            if (vote != XAResource.XA_OK) {
                throw new XAException("unexpected read-only vote " + vote + " for an updating branch");
            }
        }

        private static void rollbackQuietly(XAResource res, Xid xid, boolean started, Exception cause) {
            if (!started) {
                return;
            }
            try {
                res.end(xid, XAResource.TMFAIL);
            } catch (XAException ignored) {
                // already ended: fine, roll back below
            }
            try {
                res.rollback(xid);
            } catch (XAException e) {
                cause.addSuppressed(e);
            }
        }

        @Override
        public void close() throws SQLException {
            xcA.close();
            xcB.close();
        }
    }
}
