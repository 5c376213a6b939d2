package io.quorumtx.jdbc.dialect;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.Poll;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every dialect must do, without a transaction manager: the tests drive {@link DialectXAResource}
 * the way a transaction manager would and check the database afterwards from another connection.
 * Subclasses say how to connect; each test uses its own table and its own Xid prefix, so leftovers
 * in a shared server cannot confuse it.
 */
abstract class DialectXAResourceContract {

    static final int FORMAT_ID = 0x51545854;

    private final List<Connection> opened = new ArrayList<>();
    private final String prefix = UUID.randomUUID().toString().substring(0, 8);
    protected String table;

    protected abstract Connection open() throws SQLException;

    protected abstract Dialect dialect();

    /** Prepares a branch under a name QuorumTX did not write; false when the database has no such names. */
    protected abstract boolean prepareForeignBranch(Connection connection, String table) throws SQLException;

    /** Finishes what {@link #prepareForeignBranch} left, so the shared database stays clean. */
    protected abstract void cleanUpForeignBranch(Connection connection) throws SQLException;

    @BeforeEach
    void createTable() throws SQLException {
        table = "xa_" + prefix;
        execute(connect(), "CREATE TABLE " + table + " (id INT PRIMARY KEY, v INT)");
    }

    /**
     * Closes the tests' connections before finishing their branches: on H2, finishing a branch from
     * another session while the preparing session is still open breaks that session.
     */
    @AfterEach
    void cleanUp() throws Exception {
        for (Connection c : opened) {
            c.close();
        }
        opened.clear();
        try (Connection c = open()) {
            XAResource recovery = resource(c);
            for (Xid xid : recovery.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN)) {
                if (isOurs(xid)) {
                    finishEventually(recovery, xid, false);
                }
            }
            cleanUpForeignBranch(c);
            execute(c, "DROP TABLE " + table);
        }
    }

    protected Connection connect() throws SQLException {
        Connection c = open();
        opened.add(c);
        return c;
    }

    protected DialectXAResource resource(Connection c) {
        return new DialectXAResource(c, dialect(), "res-a");
    }

    protected Xid xid(String name) {
        return new BranchXid(FORMAT_ID, ("test-" + prefix + "-" + name).getBytes(US_ASCII), "res-a".getBytes(US_ASCII));
    }

    protected boolean isOurs(Xid xid) {
        return xid.getFormatId() == FORMAT_ID
                && new String(xid.getGlobalTransactionId(), US_ASCII).startsWith("test-" + prefix);
    }

    protected List<Xid> ourInDoubtBranches() throws Exception {
        try (Connection c = open()) {
            return Arrays.stream(resource(c).recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN))
                    .filter(this::isOurs).toList();
        }
    }

    protected int rows() throws SQLException {
        try (Connection c = open(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Starts a branch on a fresh connection and inserts one row in it. */
    protected DialectXAResource startWithInsert(Xid xid, int id) throws Exception {
        Connection c = connect();
        DialectXAResource resource = resource(c);
        resource.start(xid, XAResource.TMNOFLAGS);
        execute(c, "INSERT INTO " + table + " VALUES (" + id + ", " + id + ")");
        resource.end(xid, XAResource.TMSUCCESS);
        return resource;
    }

    /**
     * Finishes a prepared branch from a recovery connection. Right after its own connection closed,
     * MariaDB may still hold the branch for the closing session (reported as XAER_RMFAIL), so this
     * retries until a deadline instead of sleeping a fixed time.
     */
    protected static void finishEventually(XAResource recovery, Xid xid, boolean commit) {
        Poll.within(Duration.ofSeconds(10), (commit ? "committing " : "rolling back ") + xid
                + " from a recovery connection once MariaDB lets go of it").until(() -> {
                    try {
                        if (commit) {
                            recovery.commit(xid, false);
                        } else {
                            recovery.rollback(xid);
                        }
                        return true;
                    } catch (XAException e) {
                        if (e.errorCode != XAException.XAER_RMFAIL) {
                            throw e;
                        }
                        return false; // the closing session still holds the branch
                    }
                });
    }

    protected static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @Test
    void twoPhaseCommitMakesTheWorkVisibleOnlyAfterCommit() throws Exception {
        Xid xid = xid("2pc");
        DialectXAResource resource = startWithInsert(xid, 1);

        assertThat(resource.prepare(xid)).isEqualTo(XAResource.XA_OK);
        assertThat(rows()).isZero();
        assertThat(ourInDoubtBranches()).containsExactly(xid);

        resource.commit(xid, false);
        assertThat(rows()).isEqualTo(1);
        assertThat(ourInDoubtBranches()).isEmpty();
        assertThat(resource.connectionReusable()).isTrue();
        assertThat(resource.connection().getAutoCommit()).as("auto-commit restored").isTrue();
    }

    @Test
    void onePhaseCommitCommitsWithoutLeavingAnInDoubtBranch() throws Exception {
        Xid xid = xid("1pc");
        DialectXAResource resource = startWithInsert(xid, 1);

        resource.commit(xid, true);

        assertThat(rows()).isEqualTo(1);
        assertThat(ourInDoubtBranches()).isEmpty();
        assertThat(resource.connectionReusable()).isTrue();
    }

    @Test
    void rollbackBeforePrepareDiscardsTheWork() throws Exception {
        Xid xid = xid("rb");
        DialectXAResource resource = startWithInsert(xid, 1);

        resource.rollback(xid);

        assertThat(rows()).isZero();
        assertThat(resource.connectionReusable()).isTrue();
        // the connection is usable for a next branch
        Xid next = xid("next");
        resource.start(next, XAResource.TMNOFLAGS);
        execute(resource.connection(), "INSERT INTO " + table + " VALUES (2, 2)");
        resource.end(next, XAResource.TMSUCCESS);
        resource.commit(next, true);
        assertThat(rows()).isEqualTo(1);
    }

    @Test
    void rollbackOfAnActiveBranchEndsItFirst() throws Exception {
        Xid xid = xid("active");
        Connection c = connect();
        DialectXAResource resource = resource(c);
        resource.start(xid, XAResource.TMNOFLAGS);
        execute(c, "INSERT INTO " + table + " VALUES (1, 1)");

        resource.rollback(xid); // as a reaper would, without end()

        assertThat(rows()).isZero();
        assertThat(resource.connectionReusable()).isTrue();
    }

    @Test
    void rollbackAfterPrepareDiscardsTheWork() throws Exception {
        Xid xid = xid("prb");
        DialectXAResource resource = startWithInsert(xid, 1);
        resource.prepare(xid);

        resource.rollback(xid);

        assertThat(rows()).isZero();
        assertThat(ourInDoubtBranches()).isEmpty();
        assertThat(resource.connectionReusable()).isTrue();
    }

    @Test
    void endWithFailureMakesPrepareVoteNo() throws Exception {
        Xid xid = xid("fail");
        Connection c = connect();
        DialectXAResource resource = resource(c);
        resource.start(xid, XAResource.TMNOFLAGS);
        execute(c, "INSERT INTO " + table + " VALUES (1, 1)");
        resource.end(xid, XAResource.TMFAIL);

        assertThatThrownBy(() -> resource.prepare(xid))
                .isInstanceOfSatisfying(XAException.class, e -> assertThat(e.errorCode).isEqualTo(XAException.XA_RBROLLBACK));
        assertThat(rows()).isZero();
        assertThat(ourInDoubtBranches()).isEmpty();
    }

    @Test
    void recoverListsOnlyPreparedBranchesAndDecodesThem() throws Exception {
        Xid prepared = xid("prepared");
        Xid active = xid("active");
        startWithInsert(prepared, 1).prepare(prepared);
        DialectXAResource other = startWithInsert(active, 2);

        List<Xid> listed = ourInDoubtBranches();

        assertThat(listed).containsExactly(prepared);
        Xid decoded = listed.get(0);
        assertThat(decoded.getFormatId()).isEqualTo(FORMAT_ID);
        assertThat(decoded.getGlobalTransactionId()).isEqualTo(prepared.getGlobalTransactionId());
        assertThat(decoded.getBranchQualifier()).isEqualTo(prepared.getBranchQualifier());
        other.rollback(active);
    }

    @Test
    void recoverReturnsTheListOnlyAtTheStartOfAScan() throws Exception {
        Xid xid = xid("scan");
        startWithInsert(xid, 1).prepare(xid);
        XAResource recovery = resource(connect());

        assertThat(recovery.recover(XAResource.TMSTARTRSCAN)).filteredOn(this::isOurs).containsExactly(xid);
        assertThat(recovery.recover(XAResource.TMENDRSCAN)).isEmpty();
        assertThat(recovery.recover(XAResource.TMNOFLAGS)).isEmpty();
    }

    @Test
    void aPreparedBranchSurvivesItsConnectionAndIsCommittedFromAnother() throws Exception {
        Xid xid = xid("orphan");
        DialectXAResource resource = startWithInsert(xid, 1);
        resource.prepare(xid);
        resource.connection().close();

        XAResource recovery = resource(connect());
        assertThat(ourInDoubtBranches()).containsExactly(xid);
        finishEventually(recovery, xid, true);

        assertThat(rows()).isEqualTo(1);
        assertThat(ourInDoubtBranches()).isEmpty();
    }

    @Test
    void manyInDoubtBranchesAreAllClearedInOnePass() throws Exception {
        int count = 8;
        for (int i = 0; i < count; i++) {
            Xid xid = xid("many-" + i);
            DialectXAResource resource = startWithInsert(xid, i);
            resource.prepare(xid);
            resource.connection().close();
        }
        XAResource recovery = resource(connect());
        List<Xid> inDoubt = ourInDoubtBranches();
        assertThat(inDoubt).hasSize(count);

        for (Xid xid : inDoubt) {
            int id = Integer.parseInt(new String(xid.getGlobalTransactionId(), US_ASCII).replaceAll(".*-", ""));
            finishEventually(recovery, xid, id % 2 == 0);
        }

        assertThat(ourInDoubtBranches()).isEmpty();
        assertThat(rows()).isEqualTo(count / 2);
    }

    /**
     * The race seen in DbLogRaceTest on PostgreSQL: the committing thread's phase-2 commit failed
     * (another node's recovery was committing the same branch), the phase-2 retrier's first
     * attempt came through this resource before the transaction's afterCompletion and failed too,
     * and only then did the enlistment ask for its connection back. The branch is still PREPARED
     * as far as this resource knows, but no retry will ever come through it again: it used to park
     * the connection for that retry, for ever, and the pool ran dry a few such races later.
     */
    @Test
    void aConnectionWhosePhaseTwoFailedIsGivenBackWhenTheTransactionEnds() throws Exception {
        Xid xid = xid("phase2-failed");
        Connection c = connect();
        DialectXAResource resource = new DialectXAResource(c, commitPreparedFails(dialect()), "res-a");
        resource.start(xid, XAResource.TMNOFLAGS);
        execute(c, "INSERT INTO " + table + " VALUES (1, 1)");
        resource.end(xid, XAResource.TMSUCCESS);
        resource.prepare(xid);

        assertThatThrownBy(() -> resource.commit(xid, false)).as("the committing thread's phase-2 commit")
                .isInstanceOf(XAException.class);
        assertThatThrownBy(() -> resource.commit(xid, false)).as("the retrier's first attempt, before afterCompletion")
                .isInstanceOf(XAException.class);
        AtomicReference<Boolean> givenBack = new AtomicReference<>();
        resource.releaseWhenBranchEnds(givenBack::set);

        assertThat(givenBack.get()).as("the connection went back to its pool at once, to be closed (not reused)")
                .isFalse();
        c.close();
        assertThat(ourInDoubtBranches()).as("the branch stays prepared for recovery").containsExactly(xid);
    }

    /** {@code dialect}, except that committing a prepared branch fails as a busy or lost server would make it. */
    private static Dialect commitPreparedFails(Dialect dialect) {
        return (Dialect) Proxy.newProxyInstance(Dialect.class.getClassLoader(), new Class<?>[] {Dialect.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("commitPrepared")) {
                        throw new SQLException("injected: the server could not commit the prepared branch now",
                                "40001");
                    }
                    try {
                        return method.invoke(dialect, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void finishingAnUnknownBranchReportsXaerNota() throws Exception {
        XAResource recovery = resource(connect());
        Xid unknown = xid("unknown");

        assertThatThrownBy(() -> recovery.commit(unknown, false))
                .isInstanceOfSatisfying(XAException.class, e -> assertThat(e.errorCode).isEqualTo(XAException.XAER_NOTA));
        assertThatThrownBy(() -> recovery.rollback(unknown))
                .isInstanceOfSatisfying(XAException.class, e -> assertThat(e.errorCode).isEqualTo(XAException.XAER_NOTA));
    }

    @Test
    void recoverSkipsBranchesNamedByOtherSoftware() throws Exception {
        Xid xid = xid("ours");
        startWithInsert(xid, 1).prepare(xid);
        Connection foreign = connect();
        if (!prepareForeignBranch(foreign, table)) {
            return;
        }

        assertThat(ourInDoubtBranches()).containsExactly(xid);
    }

    @Test
    void startingASecondBranchOnABusyConnectionIsAProtocolError() throws Exception {
        Xid first = xid("first");
        DialectXAResource resource = startWithInsert(first, 1);

        assertThatThrownBy(() -> resource.start(xid("second"), XAResource.TMNOFLAGS))
                .isInstanceOfSatisfying(XAException.class, e -> assertThat(e.errorCode).isEqualTo(XAException.XAER_PROTO));
        resource.rollback(first);
    }
}
