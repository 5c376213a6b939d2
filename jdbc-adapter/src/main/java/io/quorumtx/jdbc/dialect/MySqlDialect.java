package io.quorumtx.jdbc.dialect;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.transaction.xa.Xid;

/**
 * MySQL and MariaDB, through the server's own XA statements. The Xid goes in as
 * {@code X'gtrid',X'bqual',formatId} (hex literals, so any bytes are safe) and comes back from
 * {@code XA RECOVER} as lengths plus raw data: the same Xids the drivers' XADataSources use.
 * The XA transaction governs the session while it is active, whatever auto-commit says, so the
 * dialect leaves auto-commit alone. A prepared branch may be finished from any session.
 */
final class MySqlDialect implements Dialect {

    static final MySqlDialect INSTANCE = new MySqlDialect();

    /** ER_XAER_NOTA: "Unknown XID". */
    private static final int XAER_NOTA = 1397;

    private MySqlDialect() {
    }

    @Override
    public String name() {
        return "mysql";
    }

    @Override
    public boolean branchIsLocalTransaction() {
        return false;
    }

    @Override
    public void start(Connection connection, Xid xid) throws SQLException {
        execute(connection, "XA START " + literal(xid));
    }

    @Override
    public void end(Connection connection, Xid xid) throws SQLException {
        execute(connection, "XA END " + literal(xid));
    }

    @Override
    public void prepare(Connection connection, Xid xid) throws SQLException {
        execute(connection, "XA PREPARE " + literal(xid));
    }

    @Override
    public void commitOnePhase(Connection connection, Xid xid) throws SQLException {
        execute(connection, "XA COMMIT " + literal(xid) + " ONE PHASE");
    }

    @Override
    public void rollbackUnprepared(Connection connection, Xid xid) throws SQLException {
        execute(connection, "XA ROLLBACK " + literal(xid));
    }

    @Override
    public void commitPrepared(Connection connection, Xid xid) throws SQLException {
        execute(connection, "XA COMMIT " + literal(xid));
    }

    @Override
    public void rollbackPrepared(Connection connection, Xid xid) throws SQLException {
        execute(connection, "XA ROLLBACK " + literal(xid));
    }

    @Override
    public List<Xid> recover(Connection connection) throws SQLException {
        List<Xid> xids = new ArrayList<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("XA RECOVER")) {
            while (rows.next()) {
                int formatId = rows.getInt("formatID");
                int gtridLength = rows.getInt("gtrid_length");
                int bqualLength = rows.getInt("bqual_length");
                byte[] data = rows.getBytes("data");
                if (formatId == -1 || data == null || gtridLength < 0 || bqualLength < 0
                        || gtridLength + bqualLength != data.length) {
                    continue; // not an Xid anyone can finish through XA COMMIT/ROLLBACK
                }
                byte[] gtrid = Arrays.copyOfRange(data, 0, gtridLength);
                byte[] bqual = Arrays.copyOfRange(data, gtridLength, data.length);
                if (XidParts.valid(gtrid, bqual)) {
                    xids.add(new BranchXid(formatId, gtrid, bqual));
                }
            }
        }
        return xids;
    }

    @Override
    public boolean isUnknownBranch(SQLException e) {
        return e.getErrorCode() == XAER_NOTA;
    }

    /** Hex literals and an integer: nothing from the Xid can change the statement. */
    static String literal(Xid xid) throws SQLException {
        byte[] gtrid = xid.getGlobalTransactionId();
        byte[] bqual = xid.getBranchQualifier();
        XidParts.check(xid, gtrid, bqual);
        HexFormat hex = HexFormat.of();
        StringBuilder sql = new StringBuilder(12 + 2 * (gtrid.length + bqual.length) + 11);
        sql.append("X'").append(hex.formatHex(gtrid)).append("',X'").append(hex.formatHex(bqual))
                .append("',").append(xid.getFormatId());
        return sql.toString();
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
