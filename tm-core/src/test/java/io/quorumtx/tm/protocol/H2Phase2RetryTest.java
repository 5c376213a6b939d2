package io.quorumtx.tm.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.spi.NamedResource;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.log.LocalCommitLog;

import io.quorumtx.tm.xid.QuorumXid;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.XAConnection;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Phase-2 retry against H2 2.4's own XAResource, which answers a commit of a branch it no longer
 * knows (here: one it already committed) with an XAException whose error code is 0, not
 * XAER_NOTA. The retrier must find out from H2's recover() list that the branch is finished and
 * write END, rather than retry for ever.
 */
class H2Phase2RetryTest {
    @TempDir
    Path dir;

    private QuorumTransactionManager tm;
    private LocalCommitLog log;

    @AfterEach
    void close() {
        if (tm != null) {
            tm.close(); // also closes the log
        }
    }

    private JdbcDataSource database(String name) throws SQLException {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:file:" + dir.resolve(name) + ";WRITE_DELAY=0");
        ds.setUser("sa");
        ds.setPassword("");
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE ROWS_ (ID INT PRIMARY KEY)");
        }
        return ds;
    }

    @Test
    void commitWhoseRetryMeetsH2sCodeZeroForAnAlreadyCommittedBranchIsFinishedAndItsEndWritten() throws Exception {
        JdbcDataSource bankA = database("bank-a");
        JdbcDataSource bankB = database("bank-b");
        log = LocalCommitLog.open(dir.resolve("log"));
        tm = QuorumTransactionManager.builder().nodeId("n1").commitLog(log)
                .phase2Retry(Duration.ofMillis(5), Duration.ofMillis(40), 1000) // the bound must not be what ends it
                .recoveryInterval(Duration.ZERO) // and no recovery pass may finish it in the retrier's place
                .build();
        tm.registerResource(recoverable("bank-a", bankA));
        tm.registerResource(recoverable("bank-b", bankB));
        tm.recover(); // waits out the passes the registrations queued

        XAConnection xaA = bankA.getXAConnection();
        XAConnection xaB = bankB.getXAConnection();
        try {
            Named branchA = new Named("bank-a", xaA.getXAResource());
            AnswerLostAfterCommit branchB = new AnswerLostAfterCommit("bank-b", xaB.getXAResource());
            tm.begin();
            tm.getTransaction().enlistResource(branchA);
            tm.getTransaction().enlistResource(branchB);
            try (Statement a = xaA.getConnection().createStatement();
                 Statement b = xaB.getConnection().createStatement()) {
                a.executeUpdate("INSERT INTO ROWS_ VALUES (1)");
                b.executeUpdate("INSERT INTO ROWS_ VALUES (2)");
            }
            tm.commit(); // decided: bank-b's lost answer is left to the retrier

            // The retrier forces its END (it finished a branch through a recovery connection), then lets go.
            Poll.until("END written (the log has no unfinished commit) and the retrier done",
                    Duration.ofSeconds(10), () -> log.unfinished().isEmpty() && tm.pendingPhase2Retries() == 0);
            assertThat(branchB.commits.get()).as("H2 committed once, and the retry met its code-0 answer")
                    .isEqualTo(2);
            assertThat(tm.pendingPhase2Retries()).isZero();
            assertThat(tm.heuristicOutcomes()).isEmpty();
        } finally {
            xaA.close();
            xaB.close();
        }
        assertThat(count(bankA, "SELECT COUNT(*) FROM ROWS_ WHERE ID = 1")).isEqualTo(1);
        assertThat(count(bankB, "SELECT COUNT(*) FROM ROWS_ WHERE ID = 2")).isEqualTo(1);
        assertThat(count(bankA, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.IN_DOUBT")).isZero();
        assertThat(count(bankB, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.IN_DOUBT")).isZero();
    }

    @Test
    void h2AnswersACommitOfABranchItDoesNotKnowWithErrorCodeZero() throws Exception {
        // The premise of the test above: if H2 ever answers XAER_NOTA, that test no longer covers code 0.
        JdbcDataSource bank = database("bank");
        XAConnection xa = bank.getXAConnection();
        try {
            Xid unknown = new QuorumXid(QuorumXid.formatGtrid("n1", "epoch", 1, System.currentTimeMillis()), "bank");
            XAException e = catchThrowableOfType(XAException.class,
                    () -> xa.getXAResource().commit(unknown, false));
            assertThat(e.errorCode).isZero();
            assertThat(XaCodes.describe(e)).startsWith("unrecognised XA error code 0: ");
        } finally {
            xa.close();
        }
    }

    private static int count(JdbcDataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static RecoverableResource recoverable(String name, JdbcDataSource ds) {
        return new RecoverableResource() {
            @Override
            public String resourceName() {
                return name;
            }

            @Override
            public RecoveryConnection openRecoveryConnection() throws XAException {
                XAConnection connection;
                XAResource resource;
                try {
                    connection = ds.getXAConnection();
                    resource = connection.getXAResource();
                } catch (SQLException e) {
                    XAException x = new XAException("cannot connect to " + name + ": " + e.getMessage());
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
                            connection.close();
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                };
            }
        };
    }

    /** H2's XAResource under a resource name, so branches are named as the registered resources. */
    private static class Named implements XAResource, NamedResource {
        final String name;
        final XAResource h2;

        Named(String name, XAResource h2) {
            this.name = name;
            this.h2 = h2;
        }

        @Override
        public String resourceName() {
            return name;
        }

        @Override
        public void commit(Xid xid, boolean onePhase) throws XAException {
            h2.commit(xid, onePhase);
        }

        @Override
        public void end(Xid xid, int flags) throws XAException {
            h2.end(xid, flags);
        }

        @Override
        public void forget(Xid xid) throws XAException {
            h2.forget(xid);
        }

        @Override
        public int getTransactionTimeout() throws XAException {
            return h2.getTransactionTimeout();
        }

        @Override
        public boolean isSameRM(XAResource other) {
            return other == this;
        }

        @Override
        public int prepare(Xid xid) throws XAException {
            return h2.prepare(xid);
        }

        @Override
        public Xid[] recover(int flag) throws XAException {
            return h2.recover(flag);
        }

        @Override
        public void rollback(Xid xid) throws XAException {
            h2.rollback(xid);
        }

        @Override
        public boolean setTransactionTimeout(int seconds) throws XAException {
            return h2.setTransactionTimeout(seconds);
        }

        @Override
        public void start(Xid xid, int flags) throws XAException {
            h2.start(xid, flags);
        }
    }

    /** The first two-phase commit reaches H2 and commits, then its answer is lost (XAER_RMFAIL). */
    private static final class AnswerLostAfterCommit extends Named {
        final AtomicInteger commits = new AtomicInteger();

        AnswerLostAfterCommit(String name, XAResource h2) {
            super(name, h2);
        }

        @Override
        public void commit(Xid xid, boolean onePhase) throws XAException {
            int n = commits.incrementAndGet();
            h2.commit(xid, onePhase);
            if (n == 1) {
                XAException lost = new XAException("connection reset after COMMIT TRANSACTION was sent");
                lost.errorCode = XAException.XAER_RMFAIL;
                throw lost;
            }
        }
    }
}
