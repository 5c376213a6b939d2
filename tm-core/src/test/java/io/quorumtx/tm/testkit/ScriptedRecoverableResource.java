package io.quorumtx.tm.testkit;

import io.quorumtx.tm.spi.RecoverableResource;
import java.util.concurrent.atomic.AtomicInteger;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;

/**
 * A RecoverableResource whose recovery connections all expose one given XAResource (which, for a
 * {@link ScriptedXAResource}, keeps its prepared branches across "restarts" of the application).
 * It can be made unreachable: opening a connection then fails with XAER_RMFAIL, as the JDBC
 * adapter does when the database refuses connections.
 */
public final class ScriptedRecoverableResource implements RecoverableResource {
    private final String name;
    private final XAResource xaResource;
    private final AtomicInteger attempts = new AtomicInteger();
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private volatile String unreachable;

    public ScriptedRecoverableResource(String name, XAResource xaResource) {
        this.name = name;
        this.xaResource = xaResource;
    }

    /** From now on opening a connection fails with XAER_RMFAIL and {@code error} as its message; null: reachable again. */
    public ScriptedRecoverableResource unreachable(String error) {
        this.unreachable = error;
        return this;
    }

    @Override
    public String resourceName() {
        return name;
    }

    @Override
    public RecoveryConnection openRecoveryConnection() throws XAException {
        attempts.incrementAndGet();
        String error = unreachable;
        if (error != null) {
            XAException e = new XAException(error);
            e.errorCode = XAException.XAER_RMFAIL;
            throw e;
        }
        opened.incrementAndGet();
        return new RecoveryConnection() {
            @Override
            public XAResource xaResource() {
                return xaResource;
            }

            @Override
            public void close() {
                closed.incrementAndGet();
            }
        };
    }

    /** Calls of openRecoveryConnection, including those that failed because the resource was unreachable. */
    public int openAttempts() {
        return attempts.get();
    }

    public int openedConnections() {
        return opened.get();
    }

    public int closedConnections() {
        return closed.get();
    }
}
