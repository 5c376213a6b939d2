package io.quorumtx.jdbc.dialect;

import io.quorumtx.jdbc.internal.shared.DatabaseChecks;
import io.quorumtx.jdbc.internal.shared.Redaction;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;
import javax.transaction.xa.Xid;

/**
 * PostgreSQL. {@code PREPARE TRANSACTION 'gid'} detaches the session's transaction and leaves the
 * session idle; {@code COMMIT PREPARED} / {@code ROLLBACK PREPARED} may then run on any session of
 * the same database, but never inside a transaction block, so the connection is switched to
 * auto-commit first. Needs {@code max_prepared_transactions > 0}.
 *
 * <p>Gids are written as the PostgreSQL JDBC driver's XA support writes them,
 * {@code formatId_base64(gtrid)_base64(bqual)} (at most 189 of the 200 characters PostgreSQL
 * allows), so a branch prepared through {@code PGXADataSource} is recovered here too.
 */
final class PostgreSqlDialect implements Dialect {

    static final PostgreSqlDialect INSTANCE = new PostgreSqlDialect();

    /** The shape of a gid this dialect (or the PostgreSQL XA driver) wrote; only these reach SQL. */
    private static final Pattern GID = Pattern.compile("-?[0-9]{1,10}_[A-Za-z0-9+/=]*_[A-Za-z0-9+/=]*");
    private static final int MAX_GID_LENGTH = 200;
    private static final String UNDEFINED_OBJECT = "42704";
    private static final String OBJECT_NOT_IN_PREREQUISITE_STATE = "55000";

    private PostgreSqlDialect() {
    }

    @Override
    public String name() {
        return "postgresql";
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
        // PostgreSQL has no statement for ending work on a branch.
    }

    @Override
    public void prepare(Connection connection, Xid xid) throws SQLException {
        String gid = encode(xid);
        try {
            execute(connection, "PREPARE TRANSACTION '" + gid + '\'');
        } catch (SQLException e) {
            if (OBJECT_NOT_IN_PREREQUISITE_STATE.equals(e.getSQLState())
                    && String.valueOf(e.getMessage()).contains("prepared transactions are disabled")) {
                throw new SQLException(DatabaseChecks.preparedTransactionsDisabled(Redaction.url(connection)),
                        e.getSQLState(), e);
            }
            throw e;
        }
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
        String gid = encode(xid);
        outsideTransactionBlock(connection);
        execute(connection, "COMMIT PREPARED '" + gid + '\'');
    }

    @Override
    public void rollbackPrepared(Connection connection, Xid xid) throws SQLException {
        String gid = encode(xid);
        outsideTransactionBlock(connection);
        execute(connection, "ROLLBACK PREPARED '" + gid + '\'');
    }

    @Override
    public List<Xid> recover(Connection connection) throws SQLException {
        outsideTransactionBlock(connection);
        List<Xid> xids = new ArrayList<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(
                     "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() ORDER BY prepared")) {
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
        return UNDEFINED_OBJECT.equals(e.getSQLState());
    }

    static String encode(Xid xid) throws SQLException {
        byte[] gtrid = xid.getGlobalTransactionId();
        byte[] bqual = xid.getBranchQualifier();
        XidParts.check(xid, gtrid, bqual);
        Base64.Encoder base64 = Base64.getEncoder();
        String gid = xid.getFormatId() + "_" + base64.encodeToString(gtrid) + '_' + base64.encodeToString(bqual);
        if (gid.length() > MAX_GID_LENGTH || !XidParts.onlyLettersDigitsAnd(gid, "+/=_-")) {
            throw new SQLException("Xid " + xid + " cannot be written as a PostgreSQL transaction id: " + gid);
        }
        return gid;
    }

    /** Returns null for a gid this dialect (or the PostgreSQL XA driver) did not write. */
    static Xid decode(String gid) {
        if (gid == null || !GID.matcher(gid).matches()) {
            return null;
        }
        int first = gid.indexOf('_');
        int last = gid.lastIndexOf('_');
        try {
            int formatId = Integer.parseInt(gid, 0, first, 10);
            byte[] gtrid = Base64.getDecoder().decode(gid.substring(first + 1, last));
            byte[] bqual = Base64.getDecoder().decode(gid.substring(last + 1));
            return XidParts.valid(gtrid, bqual) ? new BranchXid(formatId, gtrid, bqual) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** COMMIT/ROLLBACK PREPARED refuse to run inside a transaction block. */
    private static void outsideTransactionBlock(Connection connection) throws SQLException {
        if (!connection.getAutoCommit()) {
            connection.setAutoCommit(true);
        }
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
