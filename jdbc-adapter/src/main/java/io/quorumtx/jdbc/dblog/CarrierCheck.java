package io.quorumtx.jdbc.dblog;

import io.quorumtx.tm.log.CommitLogException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Guards against the one misconfiguration that would silently lose decisions: {@code carriedBy}
 * naming a resource of a different database than the log's DataSource. Its one-phase commit would
 * then make the COMMIT row durable in the wrong database, and recovery, reading the log's own
 * database, would roll back what was committed. The log's database holds a random identity token
 * (written once, in {@code <prefix>_meta}); the first time a resource name carries a decision,
 * the token is read through that branch's own connection and compared. The verdict is kept per
 * resource name; a mismatch refuses the commit (definitely not written: the transaction rolls back).
 */
final class CarrierCheck {

    private final DecisionSql sql;
    private final String identity;
    private final ConcurrentHashMap<String, Boolean> verdicts = new ConcurrentHashMap<>();

    CarrierCheck(DecisionSql sql, String identity) {
        this.sql = sql;
        this.identity = identity;
    }

    /**
     * Creates the tables if asked and returns the database identity token, writing it the first
     * time (a concurrent first writer wins by primary key; both read the winner's).
     */
    static String open(DataSource dataSource, DecisionSql sql, boolean createTables) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            if (createTables) {
                try (Statement s = c.createStatement()) {
                    for (String ddl : sql.ddl()) {
                        s.execute(ddl);
                    }
                }
            }
            String token = read(c, sql);
            if (token == null) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + sql.meta + " (meta_name, meta_value)"
                        + " VALUES ('identity', ?)")) {
                    ps.setString(1, UUID.randomUUID().toString());
                    ps.executeUpdate();
                } catch (SQLException e) {
                    if (!sql.isDuplicateKey(e)) {
                        throw e;
                    }
                }
                token = read(c, sql);
            }
            return token;
        } catch (SQLException e) {
            throw CommitLogException.cannotOpen("cannot open the database commit log (tables " + sql.decisions + ", "
                    + sql.done + ", " + sql.nodes + ", " + sql.meta + "): " + e.getMessage() + (createTables ? ""
                    : "; create them from the README's DDL, or call createTables(true)"), e);
        }
    }

    private static String read(Connection c, DecisionSql sql) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT meta_value FROM " + sql.meta + " WHERE meta_name = 'identity'")) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** Throws (not written) unless {@code branch}, a connection of resource {@code carrier}, reaches the log's database. */
    void verify(String carrier, Connection branch) {
        Boolean verdict = verdicts.get(carrier);
        if (verdict == null) {
            String seen;
            try {
                seen = read(branch, sql);
            } catch (SQLException e) {
                throw CommitLogException.notWritten(misconfigured(carrier, "its database has no readable table "
                        + sql.meta + " (" + e.getMessage() + ")"), e);
            }
            verdict = identity.equals(seen);
            verdicts.put(carrier, verdict);
        }
        if (!verdict) {
            throw CommitLogException.notWritten(misconfigured(carrier, "its database identity differs from the log's"));
        }
    }

    private static String misconfigured(String carrier, String why) {
        return "the database commit log is configured with carriedBy(\"" + carrier + "\"), but that resource is a"
                + " different database than the log's DataSource: " + why + ". The transaction was rolled back;"
                + " name the TransactionalDataSource of the log's own database, or drop carriedBy";
    }
}
