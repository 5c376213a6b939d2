package io.quorumtx.jdbc.dblog;

import static io.quorumtx.jdbc.dblog.DbLogFixture.count;
import static io.quorumtx.testsupport.H2Bank.balance;
import static io.quorumtx.testsupport.H2Bank.inDoubt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.jdbc.testing.Wrapped.Style;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.xid.QuorumXid;
import io.quorumtx.tm.xid.XidFactory;
import jakarta.transaction.RollbackException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The database commit log on H2: the carrier path, settling, recovery by another node, the fence. */
class DatabaseCommitLogTest {

    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final String DECISIONS = "SELECT COUNT(*) FROM quorumtx_log_decisions";

    @TempDir
    Path directory;

    private DbLogFixture db;
    private QuorumTransactionManager tm;
    private Wrapped bankA;
    private Wrapped bankB;

    @BeforeEach
    void start() throws Exception {
        db = new DbLogFixture(directory);
    }

    @AfterEach
    void stop() throws Exception {
        if (bankA != null) {
            bankA.close();
        }
        if (bankB != null) {
            bankB.close();
        }
        if (tm != null) {
            tm.close();
        }
        db.close();
    }

    private DatabaseCommitLog managerOnLogIn(String logUrl, String carrier, Style style) throws Exception {
        DatabaseCommitLog log = db.log(logUrl, carrier, LEASE);
        tm = QuorumTransactionManager.builder().nodeId("node-a").commitLog(log).build();
        bankA = Wrapped.of(style, tm, "bank-a", db.urlA);
        bankB = Wrapped.of(style, tm, "bank-b", db.urlB);
        return log;
    }

    private void transfer(long amount) throws Exception {
        tm.begin();
        try (Connection a = bankA.dataSource().getConnection(); Connection b = bankB.dataSource().getConnection()) {
            H2Bank.addToBalance(a, 1, -amount);
            H2Bank.addToBalance(b, 1, amount);
        }
        tm.commit();
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void aTransferCommitsThroughTheCarrierAndTheDeleterRemovesItsRow(Style style) throws Exception {
        DatabaseCommitLog log = managerOnLogIn(db.urlA, "bank-a", style);

        transfer(30);

        assertThat(balance(db.urlA, 1)).isEqualTo(970);
        assertThat(balance(db.urlB, 1)).isEqualTo(1030);
        assertThat(inDoubt(db.urlA) + inDoubt(db.urlB)).isZero();
        assertThat(log.stats().carriedDecisions()).as("decided in bank-a's own commit").isEqualTo(1);
        assertThat(log.stats().standaloneDecisions()).isZero();
        assertThat(count(db.urlA, DECISIONS + " WHERE decision = 'C'")).as("the COMMIT row, until deleted").isEqualTo(1);

        log.runMaintenanceNow();

        assertThat(count(db.urlA, DECISIONS)).as("deleted after END").isZero();
    }

    @Test
    void aCarrierWhoseOnePhaseCommitFailsRollsTheOthersBack() throws Exception {
        DatabaseCommitLog log = db.log(db.urlA, "bank-a", LEASE);
        tm = QuorumTransactionManager.builder().nodeId("node-a").commitLog(log)
                .crashInjector((point, gtrid) -> {
                    if (point == CrashPoint.BEFORE_DECISION_BRANCH_COMMIT) {
                        abortSessionHoldingTheRow(db.urlA); // the carrier's connection is lost, its work rolled back
                    }
                }).build();
        bankA = Wrapped.of(Style.DIALECT, tm, "bank-a", db.urlA);
        bankB = Wrapped.of(Style.DIALECT, tm, "bank-b", db.urlB);

        assertThatThrownBy(() -> transfer(30)).isInstanceOf(RollbackException.class)
                .hasMessageContaining("did not commit");

        assertThat(balance(db.urlA, 1)).isEqualTo(1000);
        assertThat(balance(db.urlB, 1)).as("the prepared other branch rolled back").isEqualTo(1000);
        assertThat(inDoubt(db.urlB)).isZero();
        assertThat(count(db.urlA, DECISIONS + " WHERE decision = 'A'")).as("settled through the log").isEqualTo(1);
    }

    /** Aborts the H2 session that holds an uncommitted change (the carrier's branch). */
    private static void abortSessionHoldingTheRow(String url) {
        try (Connection c = DriverManager.getConnection(url, H2Bank.USER, "");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT SESSION_ID FROM INFORMATION_SCHEMA.SESSIONS"
                     + " WHERE CONTAINS_UNCOMMITTED AND SESSION_ID <> SESSION_ID()")) {
            assertThat(rs.next()).as("the carrier's session").isTrue();
            int id = rs.getInt(1);
            try (Statement abort = c.createStatement()) {
                abort.execute("CALL ABORT_SESSION(" + id + ")");
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aPreparedBranchWithACommitRowIsCommittedByRecoveryOnAnotherNode() throws Exception {
        XidFactory dead = new XidFactory("gone");
        DatabaseCommitLog deadLog = db.startedLog(db.urlA, "gone", dead.epoch(), LEASE);
        String gtrid = dead.newGtrid();
        QuorumXid xid = dead.branch(gtrid, "1", false);
        DbLogFixture.leavePrepared(db.urlB, xid, 55);
        deadLog.logCommit(new CommitRecord(gtrid, List.of(new BranchRecord("bank-b", "1")), System.currentTimeMillis()));
        deadLog.close(); // its incarnation is retired: lapsed

        managerOnLogIn(db.urlA, "bank-a", Style.DIALECT);
        tm.recover();

        assertThat(balance(db.urlB, 1)).as("committed by node-a from the COMMIT row of node gone").isEqualTo(1055);
        assertThat(inDoubt(db.urlB)).isZero();
        assertThat(count(db.urlA, DECISIONS)).as("END forced: row deleted").isZero();
    }

    @Test
    void aPreparedBranchWithoutARowOfALapsedOwnerIsRolledBackAfterAnAbortRow() throws Exception {
        XidFactory dead = new XidFactory("gone");
        DatabaseCommitLog deadLog = db.startedLog(db.urlA, "gone", dead.epoch(), Duration.ofMillis(600));
        deadLog.pauseLeaseRenewal();
        String gtrid = dead.newGtrid();
        DbLogFixture.leavePrepared(db.urlB, dead.branch(gtrid, "1", false), 55);
        DatabaseCommitLog log = managerOnLogIn(db.urlA, "bank-a", Style.DIALECT);
        io.quorumtx.testsupport.Poll.until("the lease of node gone lapses", Duration.ofSeconds(30),
                () -> log.isOwnerLeaseLapsed("gone"));

        tm.recover();

        assertThat(balance(db.urlB, 1)).isEqualTo(1000);
        assertThat(inDoubt(db.urlB)).isZero();
        assertThat(log.decision(gtrid)).as("settled: ABORT row inserted first").isEqualTo(Decision.ABORT);
        String late = dead.newGtrid();
        assertThatThrownBy(() -> deadLog.logCommit(new CommitRecord(late, List.of(), System.currentTimeMillis())))
                .as("the settling node fenced the lapsed incarnation").isInstanceOf(CommitLogException.class)
                .hasMessageContaining("fenced");
    }

    /**
     * The hazard of the standalone path: a recovering node inserts ABORT, rolls back, the ABORT row
     * is deleted, then the owner (paused) wakes and inserts its COMMIT. The fence makes that insert fail.
     */
    @Test
    void aPausedCoordinatorCannotWriteACommitAfterItsAbortRowWasDeleted() throws Exception {
        XidFactory paused = new XidFactory("paused");
        DatabaseCommitLog pausedLog = db.startedLog(db.urlC, "paused", paused.epoch(), Duration.ofMillis(600));
        pausedLog.pauseLeaseRenewal();
        DatabaseCommitLog settler = db.startedLog(db.urlC, "settler", new XidFactory("settler").epoch(), LEASE);
        String gtrid = paused.newGtrid();
        io.quorumtx.testsupport.Poll.until("the lease of node paused lapses", Duration.ofSeconds(30),
                () -> settler.isOwnerLeaseLapsed("paused"));

        assertThat(settler.settle(gtrid)).isEqualTo(Decision.ABORT);
        settler.deleteFencedAbortsNow();
        assertThat(settler.decision(gtrid)).as("the ABORT row of a fenced owner is deleted").isEqualTo(Decision.UNKNOWN);

        assertThatThrownBy(() -> pausedLog.logCommit(new CommitRecord(gtrid, List.of(new BranchRecord("bank-b", "1")),
                System.currentTimeMillis()))).isInstanceOf(CommitLogException.class).hasMessageContaining("fenced")
                .matches(e -> ((CommitLogException) e).definitelyNotWritten(), "definitely not written");
        assertThat(settler.decision(gtrid)).as("no COMMIT after the ABORT").isEqualTo(Decision.UNKNOWN);
    }

    @Test
    void aCarrierOfAnotherDatabaseIsRefusedAndTheTransactionRollsBack() throws Exception {
        managerOnLogIn(db.urlC, "bank-a", Style.DIALECT); // the log is in c, but bank-a is database a

        assertThatThrownBy(() -> transfer(30)).isInstanceOf(RollbackException.class)
                .hasMessageContaining("different database");

        assertThat(balance(db.urlA, 1)).isEqualTo(1000);
        assertThat(balance(db.urlB, 1)).isEqualTo(1000);
        assertThat(inDoubt(db.urlA) + inDoubt(db.urlB)).isZero();
    }

    @Test
    void withoutTheCarrierTheDecisionIsWrittenStandalone() throws Exception {
        DatabaseCommitLog log = managerOnLogIn(db.urlC, null, Style.XA);

        transfer(30);

        assertThat(balance(db.urlA, 1)).isEqualTo(970);
        assertThat(balance(db.urlB, 1)).isEqualTo(1030);
        assertThat(log.stats().standaloneDecisions()).isEqualTo(1);
        assertThat(log.stats().carriedDecisions()).isZero();
    }

    @Test
    void threePhaseCommitWritesItsDecisionStandaloneBeforeItsMarkers() throws Exception {
        DatabaseCommitLog log = managerOnLogIn(db.urlA, "bank-a", Style.DIALECT);

        tm.begin(io.quorumtx.tm.CommitProtocolType.THREE_PHASE);
        try (Connection a = bankA.dataSource().getConnection(); Connection b = bankB.dataSource().getConnection()) {
            H2Bank.addToBalance(a, 1, -30);
            H2Bank.addToBalance(b, 1, 30);
        }
        tm.commit();

        assertThat(balance(db.urlA, 1)).isEqualTo(970);
        assertThat(balance(db.urlB, 1)).isEqualTo(1030);
        assertThat(log.stats().carriedDecisions()).as("3PC needs a durable decision before its markers").isZero();
        assertThat(log.stats().standaloneDecisions()).isEqualTo(1);
    }

    @Test
    void anIncarnationIsRegisteredOnlyOnce() throws Exception {
        String epoch = new XidFactory("twice").epoch();
        db.startedLog(db.urlA, "twice", epoch, LEASE);
        DatabaseCommitLog second = db.log(db.urlA, null, LEASE);

        assertThatThrownBy(() -> second.startIncarnation("twice", epoch)).isInstanceOf(CommitLogException.class)
                .hasMessageContaining("already registered");
    }

    @Test
    void invalidTablePrefixIsRefused() {
        assertThatThrownBy(() -> DatabaseCommitLog.builder(H2Bank.xaDataSource(db.urlA), io.quorumtx.jdbc.dialect.Dialect.h2())
                .tablePrefix("log; DROP TABLE x").build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tablePrefix");
    }
}
