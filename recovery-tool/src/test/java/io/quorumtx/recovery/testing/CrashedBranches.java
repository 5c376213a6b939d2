package io.quorumtx.recovery.testing;

import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.dialect.DialectXAResource;
import io.quorumtx.tm.xid.QuorumXid;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import javax.transaction.xa.XAResource;

/**
 * Prepared branches in an {@link io.quorumtx.testsupport.H2Bank} left behind as a crashed
 * transaction manager leaves them: prepared, then abandoned (one per test transaction: a prepared
 * branch locks its row).
 */
public final class CrashedBranches {
    private CrashedBranches() {
    }

    /** Adds {@code delta} to account {@code id} in a branch that is prepared and then abandoned (its connection closed). */
    public static void prepare(String url, String user, String password, QuorumXid xid, int id, long delta) throws Exception {
        try (Connection c = DriverManager.getConnection(url, user, password)) {
            DialectXAResource branch = new DialectXAResource(c, Dialect.h2(), xid.branchQualifier());
            branch.start(xid, XAResource.TMNOFLAGS);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE account SET balance = balance + " + delta + " WHERE id = " + id);
            }
            branch.end(xid, XAResource.TMSUCCESS);
            branch.prepare(xid);
        }
    }
}
