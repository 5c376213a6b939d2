package io.quorumtx.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** The two statements of a transfer, the same for every system. */
final class Transfers {
    private Transfers() {
    }

    static void debit(Connection c, int id, long amount) throws SQLException {
        update(c, BankDatabase.DEBIT, id, amount);
    }

    static void credit(Connection c, int id, long amount) throws SQLException {
        update(c, BankDatabase.CREDIT, id, amount);
    }

    private static void update(Connection c, String sql, int id, long amount) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, amount);
            ps.setInt(2, id);
            int rows = ps.executeUpdate();
            if (rows != 1) {
                throw new SQLException("expected to update account " + id + ", updated " + rows + " rows");
            }
        }
    }
}
