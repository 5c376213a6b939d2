package io.quorumtx.jdbc.dialect;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.transaction.xa.Xid;

/**
 * H2 2.x. Measured on 2.4.240: {@code PREPARE COMMIT "name"} marks the session's transaction in
 * doubt (listed in {@code INFORMATION_SCHEMA.IN_DOUBT}, surviving a restart and the session's
 * close); {@code COMMIT TRANSACTION "name"} / {@code ROLLBACK TRANSACTION "name"} finish it. While
 * the preparing session is alive they must run on that session: run on another session they
 * leave the owner's transaction closed under it. A read-only branch is not listed after
 * PREPARE COMMIT, and finishing it by name on its own session still succeeds.
 *
 * <p>Names are written exactly as H2's own {@code JdbcXid} writes them,
 * {@code XID|formatId|base64url(bqual)|base64url(gtrid)}, so branches prepared through H2's
 * XADataSource and through this dialect are interchangeable. Each transaction-name SQL
 * statement clears exactly the branch it names, so recovery clears every in-doubt branch in one
 * pass (H2's own XAResource, by contrast, clears only one per recover()).
 */
final class H2Dialect implements Dialect {

    static final H2Dialect INSTANCE = new H2Dialect();

    /** H2's Constants.MAX_IDENTIFIER_LENGTH. */
    private static final int MAX_NAME_LENGTH = 256;
    /** H2 ErrorCode.TRANSACTION_NOT_FOUND_1. */
    private static final int TRANSACTION_NOT_FOUND = 90129;

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private H2Dialect() {
    }

    @Override
    public String name() {
        return "h2";
    }

    @Override
    public boolean branchIsLocalTransaction() {
        return true;
    }

    @Override
    public void start(Connection connection, Xid xid) throws SQLException {
        if (connection.getAutoCommit()) {
            connection.setAutoCommit(false);
        }
    }

    @Override
    public void end(Connection connection, Xid xid) {
        // H2 has no statement for ending work on a branch; the session simply stops using it.
    }

    @Override
    public void prepare(Connection connection, Xid xid) throws SQLException {
        execute(connection, "PREPARE COMMIT \"" + encode(xid) + '"');
    }

    @Override
    public void commitOnePhase(Connection connection, Xid xid) throws SQLException {
        connection.commit();
    }

    @Override
    public void rollbackUnprepared(Connection connection, Xid xid) throws SQLException {
        connection.rollback();
    }

    @Override
    public void commitPrepared(Connection connection, Xid xid) throws SQLException {
        execute(connection, "COMMIT TRANSACTION \"" + encode(xid) + '"');
    }

    @Override
    public void rollbackPrepared(Connection connection, Xid xid) throws SQLException {
        execute(connection, "ROLLBACK TRANSACTION \"" + encode(xid) + '"');
    }

    @Override
    public List<Xid> recover(Connection connection) throws SQLException {
        List<Xid> xids = new ArrayList<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(
                     "SELECT TRANSACTION_NAME FROM INFORMATION_SCHEMA.IN_DOUBT ORDER BY TRANSACTION_NAME")) {
            while (rows.next()) {
                Xid xid = decode(rows.getString(1));
                if (xid != null) {
                    xids.add(xid);
                }
            }
        }
        return xids;
    }

    @Override
    public boolean isUnknownBranch(SQLException e) {
        return e.getErrorCode() == TRANSACTION_NOT_FOUND;
    }

    /** The name is made only of {@code [A-Za-z0-9_|-]}, so it is safe inside a quoted identifier. */
    static String encode(Xid xid) throws SQLException {
        byte[] gtrid = xid.getGlobalTransactionId();
        byte[] bqual = xid.getBranchQualifier();
        XidParts.check(xid, gtrid, bqual);
        String name = "XID|" + xid.getFormatId() + '|' + ENCODER.encodeToString(bqual) + '|' + ENCODER.encodeToString(gtrid);
        if (!XidParts.onlyLettersDigitsAnd(name, "|_-")) {
            throw new SQLException("Xid " + xid + " cannot be written as an H2 transaction name: " + name);
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new SQLException("Xid " + xid + " encodes to " + name.length()
                    + " characters, more than H2's identifier limit of " + MAX_NAME_LENGTH);
        }
        return name;
    }

    /** Returns null for a name this dialect did not write. */
    static Xid decode(String name) {
        if (name == null) {
            return null;
        }
        String[] parts = name.split("\\|", -1);
        if (parts.length != 4 || !parts[0].equals("XID")) {
            return null;
        }
        try {
            int formatId = Integer.parseInt(parts[1]);
            byte[] bqual = DECODER.decode(parts[2]);
            byte[] gtrid = DECODER.decode(parts[3]);
            return XidParts.valid(gtrid, bqual) ? new BranchXid(formatId, gtrid, bqual) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
