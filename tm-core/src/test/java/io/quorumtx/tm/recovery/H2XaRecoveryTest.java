package io.quorumtx.tm.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.recovery.ResolveReport.Outcome;
import io.quorumtx.tm.testkit.InMemoryCommitLog;
import io.quorumtx.tm.xid.QuorumXid;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import javax.sql.XAConnection;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery against H2's own XAResource, which after {@code recover()} acts on only one recovered
 * branch (and on a connection that did not run {@code recover()}, silently on none): the engine
 * must rescan, on the listing connection, until every branch of ours is finished.
 */
class H2XaRecoveryTest {
    @TempDir
    Path dir;

    private JdbcDataSource dataSource() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:file:" + dir.resolve("bank") + ";WRITE_DELAY=0");
        ds.setUser("sa");
        ds.setPassword("");
        return ds;
    }

    private RecoverableResource resource(JdbcDataSource ds) {
        return new RecoverableResource() {
            @Override
            public String resourceName() {
                return "bank";
            }

            @Override
            public RecoveryConnection openRecoveryConnection() throws XAException {
                XAConnection xa;
                XAResource resource;
                try {
                    xa = ds.getXAConnection();
                    resource = xa.getXAResource();
                } catch (SQLException e) {
                    XAException x = new XAException("cannot connect: " + e.getMessage());
                    x.errorCode = XAException.XAER_RMFAIL;
                    throw x;
                }
                return new RecoveryConnection() {
                    @Override
                    public XAResource xaResource() {
                        return resource;
                    }

                    @Override
                    public void close() {
                        try {
                            xa.close();
                        } catch (SQLException ignored) {
                            // test resource
                        }
                    }
                };
            }
        };
    }

    /**
     * Leaves {@code xid} prepared as a crashed application would: the work and H2's own XA prepare
     * statement (named as H2's JdbcXid names branches) on a session that then goes away. (Through
     * the XAConnection itself the handle's close would roll the session back.)
     */
    private void leavePrepared(JdbcDataSource ds, QuorumXid xid, int id) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String name = "XID|" + xid.getFormatId() + "|" + b64.encodeToString(xid.getBranchQualifier()) + "|"
                + b64.encodeToString(xid.getGlobalTransactionId());
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.executeUpdate("INSERT INTO ROWS_ VALUES (" + id + ")");
            s.execute("PREPARE COMMIT \"" + name + "\"");
        }
    }

    private List<Integer> rows(JdbcDataSource ds) throws SQLException {
        List<Integer> ids = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT ID FROM ROWS_ ORDER BY ID")) {
            while (rs.next()) {
                ids.add(rs.getInt(1));
            }
        }
        return ids;
    }

    private int inDoubt(JdbcDataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.IN_DOUBT")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void everyInDoubtBranchOfH2IsFinishedByRescanningWithOneOutcomeEach() throws Exception {
        JdbcDataSource ds = dataSource();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE ROWS_ (ID INT PRIMARY KEY)");
        }
        InMemoryCommitLog log = new InMemoryCommitLog();
        long old = System.currentTimeMillis() - 3_600_000;
        List<QuorumXid> xids = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            QuorumXid xid = new QuorumXid(QuorumXid.formatGtrid("n1", "epoch", i, old), "bank");
            xids.add(xid);
            leavePrepared(ds, xid, i);
        }
        log.logCommit(new CommitRecord(xids.get(1).gtrid(), List.of(new BranchRecord("bank", "bank")), old));
        assertThat(inDoubt(ds)).isEqualTo(4);

        Recovery recovery = new Recovery(log, List.of(resource(ds)), OwnerLiveness.stoppedNodes(Set.of("n1")),
                Duration.ofMinutes(2));
        ResolveReport report = recovery.resolve(false);

        assertThat(inDoubt(ds)).as("nothing of ours left in doubt").isZero();
        assertThat(rows(ds)).containsExactly(2);
        assertThat(report.steps()).extracting(s -> s.step().branch().gtrid() + " " + s.outcome())
                .containsExactlyInAnyOrder(xids.get(0).gtrid() + " ROLLED_BACK", xids.get(1).gtrid() + " COMMITTED",
                        xids.get(2).gtrid() + " ROLLED_BACK", xids.get(3).gtrid() + " ROLLED_BACK");
        assertThat(report.passes()).as("H2 needs a listing per rolled-back branch").isGreaterThan(2);
        assertThat(report.remainingInDoubt()).isZero();
        assertThat(report.steps(Outcome.FAILED)).isEmpty();
        assertThat(log.ends()).containsExactly(xids.get(1).gtrid());
    }
}
