package io.quorumtx.jdbc.dialect;

import java.sql.SQLException;
import javax.transaction.xa.Xid;

/** The XA limits every dialect checks before an Xid goes into SQL, and after one comes out. */
final class XidParts {

    private XidParts() {
    }

    static void check(Xid xid, byte[] gtrid, byte[] bqual) throws SQLException {
        if (!valid(gtrid, bqual)) {
            throw new SQLException("invalid Xid " + xid + ": the global transaction id must have 1 to "
                    + Xid.MAXGTRIDSIZE + " bytes and the branch qualifier at most " + Xid.MAXBQUALSIZE);
        }
    }

    static boolean valid(byte[] gtrid, byte[] bqual) {
        return gtrid != null && bqual != null && gtrid.length > 0 && gtrid.length <= Xid.MAXGTRIDSIZE
                && bqual.length <= Xid.MAXBQUALSIZE;
    }

    /**
     * Whether every character of {@code text} is an ASCII letter or digit or one of {@code extra}:
     * the check that keeps quotes and backslashes out of SQL, written as a loop because it runs
     * on every prepare and commit.
     */
    static boolean onlyLettersDigitsAnd(String text, String extra) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || extra.indexOf(c) >= 0;
            if (!safe) {
                return false;
            }
        }
        return true;
    }
}
