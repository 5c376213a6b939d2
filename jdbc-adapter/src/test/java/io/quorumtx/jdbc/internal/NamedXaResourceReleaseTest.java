package io.quorumtx.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.Test;

/**
 * The XA style's resource lives as long as its pooled connection, so the next transaction's
 * {@code start} on it needs its monitor. The connection must therefore go back to the pool only
 * after the returning thread has left that monitor: the pool hands it straight to a waiting thread,
 * whose {@code start} otherwise blocked until the returning thread was scheduled again (JFR showed
 * contended {@code NamedXaResource.start} calls in the dblog benchmark at 16 threads).
 */
class NamedXaResourceReleaseTest {

    private final List<String> calls = new ArrayList<>();
    private final Driver driver = new Driver();
    private final NamedXaResource resource = new NamedXaResource("bank-a", driver, "jdbc:test://db");
    private final Xid xid = new TestXid();

    /** Records whether the monitor was held when the connection was given back. */
    private void released(boolean reusable) {
        calls.add("release reusable=" + reusable + " monitorHeld=" + Thread.holdsLock(resource));
    }

    @Test
    void aFinishedBranchIsGivenBackOutsideTheMonitor() throws Exception {
        resource.start(xid, XAResource.TMNOFLAGS);
        resource.end(xid, XAResource.TMSUCCESS);
        resource.commit(xid, true);
        resource.releaseWhenBranchEnds(this::released);
        assertThat(calls).containsExactly("release reusable=true monitorHeld=false");
    }

    @Test
    void aParkedConnectionIsGivenBackOutsideTheMonitorWhenPhaseTwoFinishes() throws Exception {
        resource.start(xid, XAResource.TMNOFLAGS);
        resource.end(xid, XAResource.TMSUCCESS);
        resource.prepare(xid);
        resource.releaseWhenBranchEnds(this::released);
        assertThat(calls).isEmpty(); // parked for phase 2
        resource.commit(xid, false);
        assertThat(calls).containsExactly("release reusable=true monitorHeld=false");
    }

    @Test
    void aParkedConnectionWhoseRetryFailsIsEvictedOutsideTheMonitor() throws Exception {
        resource.start(xid, XAResource.TMNOFLAGS);
        resource.end(xid, XAResource.TMSUCCESS);
        resource.prepare(xid);
        resource.releaseWhenBranchEnds(this::released);
        driver.failNext = XAException.XAER_RMFAIL;
        assertThatThrownBy(() -> resource.rollback(xid)).isInstanceOf(XAException.class);
        assertThat(calls).containsExactly("release reusable=false monitorHeld=false");
    }

    private static final class Driver implements XAResource {
        int failNext;

        private void maybeFail() throws XAException {
            if (failNext != 0) {
                XAException e = new XAException("injected");
                e.errorCode = failNext;
                failNext = 0;
                throw e;
            }
        }

        @Override
        public void start(Xid xid, int flags) {
        }

        @Override
        public void end(Xid xid, int flags) {
        }

        @Override
        public int prepare(Xid xid) {
            return XA_OK;
        }

        @Override
        public void commit(Xid xid, boolean onePhase) throws XAException {
            maybeFail();
        }

        @Override
        public void rollback(Xid xid) throws XAException {
            maybeFail();
        }

        @Override
        public void forget(Xid xid) {
        }

        @Override
        public Xid[] recover(int flag) {
            return new Xid[0];
        }

        @Override
        public boolean isSameRM(XAResource other) {
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
    }

    private static final class TestXid implements Xid {
        @Override
        public int getFormatId() {
            return 1;
        }

        @Override
        public byte[] getGlobalTransactionId() {
            return new byte[] {1};
        }

        @Override
        public byte[] getBranchQualifier() {
            return new byte[] {2};
        }
    }
}
