package io.quorumtx.jdbc.dblog;

import static java.nio.charset.StandardCharsets.US_ASCII;

import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.dialect.DialectXAResource;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.xid.QuorumXid;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.transaction.xa.XAResource;

/** H2 databases for the database-log tests: a, b and c, each with accounts; logs opened on any of them. */
final class DbLogFixture implements AutoCloseable {
    final String urlA;
    final String urlB;
    final String urlC;
    private final List<AutoCloseable> open = new ArrayList<>();

    DbLogFixture(Path directory) throws SQLException {
        urlA = H2Bank.url(directory, "a");
        urlB = H2Bank.url(directory, "b");
        urlC = H2Bank.url(directory, "c");
        H2Bank.createAccounts(urlA, 1000, 1000);
        H2Bank.createAccounts(urlB, 1000, 1000);
        H2Bank.createAccounts(urlC, 1000, 1000);
    }

    /** A log (not yet started) in the database at {@code url}, its pool closed with the fixture. */
    DatabaseCommitLog log(String url, String carrier, Duration lease) {
        HikariDataSource pool = H2Bank.pool(url, 4);
        open.add(pool);
        return DatabaseCommitLog.builder(pool, Dialect.h2()).carriedBy(carrier).leaseDuration(lease)
                .settleTimeout(Duration.ofMillis(300)).deleteInterval(Duration.ofHours(1)).build();
    }

    /** A log with its own incarnation of node {@code nodeId} started, closed with the fixture. */
    DatabaseCommitLog startedLog(String url, String nodeId, String epoch, Duration lease) {
        DatabaseCommitLog log = log(url, null, lease);
        log.startIncarnation(nodeId, epoch);
        open.add(0, log);
        return log;
    }

    /** Prepares a branch that adds {@code delta} to account 1 on a connection of its own and closes it (a crash). */
    static void leavePrepared(String url, QuorumXid xid, long delta) throws Exception {
        try (Connection c = DriverManager.getConnection(url, H2Bank.USER, "")) {
            DialectXAResource branch = new DialectXAResource(c, Dialect.h2(), "bank");
            branch.start(xid, XAResource.TMNOFLAGS);
            H2Bank.addToBalance(c, 1, delta);
            branch.end(xid, XAResource.TMSUCCESS);
            branch.prepare(xid);
        }
    }

    static long count(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, H2Bank.USER, "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    @Override
    public void close() {
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("could not close " + c, e);
            }
        }
    }
}
