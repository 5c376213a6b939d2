package io.quorumtx.jdbc.dialect;

import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import javax.transaction.xa.XAException;

/**
 * Turns SQL failures into the XA error codes a transaction manager acts on, keeping the SQL
 * exception as the cause and a message that says what was being done.
 */
final class XaErrors {

    private XaErrors() {
    }

    static XAException error(int code, String message) {
        XAException e = new XAException(message);
        e.errorCode = code;
        return e;
    }

    /** For commit, rollback, end and recover: unknown branch, unreachable database, or other error. */
    static XAException fromSql(SQLException cause, Dialect dialect, String action) {
        int code = dialect.isUnknownBranch(cause) ? XAException.XAER_NOTA
                : isConnectionFailure(cause) ? XAException.XAER_RMFAIL
                : XAException.XAER_RMERR;
        return wrap(code, action, cause);
    }

    /** A failed prepare is a "no" vote unless the database could not be reached at all. */
    static XAException vote(SQLException cause, String action) {
        return wrap(isConnectionFailure(cause) ? XAException.XAER_RMFAIL : XAException.XA_RBROLLBACK, action, cause);
    }

    /** A one-phase commit the database refused was rolled back; one it never answered is unknown. */
    static XAException onePhase(SQLException cause, String action) {
        return wrap(isConnectionFailure(cause) ? XAException.XAER_RMFAIL : XAException.XA_RBROLLBACK, action, cause);
    }

    static XAException wrap(int code, String action, SQLException cause) {
        XAException e = error(code, "could not " + action + ": " + cause.getMessage());
        e.initCause(cause);
        return e;
    }

    /** Lost connections and timeouts: the statement's outcome is unknown, so the caller must retry, not conclude. */
    private static boolean isConnectionFailure(SQLException e) {
        String state = e.getSQLState();
        return e instanceof SQLTransientConnectionException || e instanceof SQLTimeoutException
                || (state != null && (state.startsWith("08") || state.equals("HYT00") || state.equals("HYT01")));
    }
}
