package io.quorumtx.jdbc.internal;

import java.sql.CallableStatement;

/**
 * A callable statement created through an {@link EnlistedConnection}; see {@link HandleStatement}
 * for why it exists. Nothing here differs from the driver's callable statement beyond what
 * {@link HandlePreparedStatement} does: the OUT-parameter getters, named setters and
 * registrations are forwarded by {@code ForwardingHandleCallableStatement}, generated at build
 * time ({@link GenerateForwarders}). An OUT parameter that is itself a result set (a PostgreSQL
 * {@code refcursor} read with {@code getObject}) comes back as the driver's; it is not wrapped.
 */
@GenerateForwarders
abstract class HandleCallableStatement extends HandlePreparedStatement implements CallableStatement {

    private final CallableStatement callable;

    HandleCallableStatement(EnlistedConnection handle, CallableStatement callable) {
        super(handle, callable);
        this.callable = callable;
    }

    /** The driver's callable statement, which the generated forwarders call. */
    @Override
    CallableStatement delegate() {
        return callable;
    }

    @Override
    public String toString() {
        return "HandleCallableStatement[" + callable + "]";
    }
}
