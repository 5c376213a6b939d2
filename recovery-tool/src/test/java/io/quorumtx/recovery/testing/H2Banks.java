package io.quorumtx.recovery.testing;

import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.dialect.DialectXAResource;
import io.quorumtx.tm.xid.QuorumXid;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.transaction.xa.XAResource;

/** Durable H2 file databases with three accounts of 100 (one per test transaction: a prepared branch locks its row), and prepared branches left behind as a crashed TM leaves them. */
public final class H2Banks {
    private H2Banks() {
    }

    public static String url(Path dir, String name) {
        return "jdbc:h2:file:" + dir.resolve(name).toAbsolutePath() + ";WRITE_DELAY=0";
    }

    public static void create(String url, String user, String password) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE account(id INT PRIMARY KEY, balance BIGINT NOT NULL)");
            s.execute("INSERT INTO account VALUES (1, 100), (2, 100), (3, 100)");
        }
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

    public static long balance(String url, String user, String password, int id) throws SQLException {
        return single(url, user, password, "SELECT balance FROM account WHERE id = " + id);
    }

    public static long inDoubt(String url, String user, String password) throws SQLException {
        return single(url, user, password, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.IN_DOUBT");
    }

    private static long single(String url, String user, String password, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
