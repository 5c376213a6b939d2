package io.quorumtx.jdbc.dblog;

import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.internal.shared.ConnectionBoundResource;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.xid.NodeIds;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * The database commit log: decisions kept in a table of a database the application already has,
 * so nodes need no disk of their own and any node finishes the transactions of any node that is gone.
 *
 * <p><b>Commit paths.</b> When the log's database takes part in a two-phase transaction (its
 * {@code TransactionalDataSource} is named by {@link Builder#carriedBy}), the COMMIT row is
 * inserted inside that database's own branch before {@code end}, the other branches are prepared,
 * and that branch commits in one phase: its local commit is the commit point ({@link
 * #writeCommitInBranch}; the protocol side is tm-core's {@code DecisionBranchCommit}). For a
 * two-database transfer that is three server forces (prepare, one-phase commit, commit) where raw
 * XA needs four. Otherwise ({@link #logCommit}: the log's database is not in the transaction, or
 * 3PC) the row is written in a local transaction of its own, group-committed by one writer thread
 * ({@link DecisionWriter}).
 *
 * <p><b>Safety without leases or clocks.</b> A transaction is decided by the first row committed
 * under its gtrid (the primary key): {@code C} by its coordinator, {@code A} by whoever
 * {@link #settle settles} it. Settling inserts {@code A}; against a committed {@code C} the insert
 * fails on the key and the {@code C} is read; against an uncommitted {@code C} of a live
 * coordinator it waits (PostgreSQL, InnoDB and H2 all block on a duplicate uncommitted key), and a
 * per-dialect lock timeout turns the wait into "cannot tell now". So a coordinator and a settling
 * node never decide differently, whatever the clocks and leases say. Two ways a late COMMIT could
 * still appear after an ABORT, and why neither can:
 * <ul>
 *   <li>carrier path: the {@code C} row is inserted before any other branch is prepared, and its
 *       key stays locked until the carrier's branch ends. Recovery settles only transactions with
 *       a prepared branch, so when its {@code A} insert succeeds the carrier's branch has already
 *       ended without committing, and can never commit. No per-commit shared row is touched, so
 *       commits of one node do not serialise;</li>
 *   <li>standalone path: a coordinator paused before its batch could insert {@code C} after a
 *       recovering node inserted {@code A}, rolled the branches back and deleted the {@code A}
 *       row. Hence: {@code A} rows are deleted only once their owner's incarnation is fenced; a
 *       standalone batch updates its own incarnation's node row {@code WHERE fenced = 0} in the
 *       same transaction as its inserts and writes nothing if that matches no row; and settling a
 *       transaction of another incarnation whose lease lapsed fences it first, in the settle's
 *       transaction. The node-row lock orders a batch and a fence: either the batch committed
 *       first (the settle then finds its {@code C}) or the fence did (the batch then fails,
 *       definitely not written, and its callers roll back). A settle of a live incarnation's
 *       transaction (older than the safety interval) does not fence; its {@code A} row then stays
 *       until that incarnation is fenced or closes.</li>
 * </ul>
 *
 * <p><b>Leases</b> (node rows with {@code lease_until} by the database's clock, renewed by a daemon
 * thread) only keep nodes from settling each other's young transactions: {@link
 * #isOwnerLeaseLapsed} is true once no incarnation of a node holds a live lease. <b>Stateless:</b>
 * nothing is kept on local disk; each manager incarnation registers its row by primary key, so
 * its gtrids are never issued twice. Rows of finished transactions are deleted in batches by the
 * maintenance thread ({@link #logEnd}); {@link #logEndForced} deletes at once.
 */
public final class DatabaseCommitLog implements CommitLog {

    private final DataSource dataSource;
    private final DecisionSql sql;
    private final String carrier;
    private final Duration lease;
    private final Duration settleTimeout;
    private final Duration deleteInterval;
    private final CarrierCheck carrierCheck;
    private final Incarnations incarnations;
    private final FinishedRows finished;
    private final AtomicLong carried = new AtomicLong();
    private volatile String incarnation;
    private volatile DecisionWriter writer;
    private volatile Maintenance maintenance;
    private volatile boolean closed;

    private DatabaseCommitLog(Builder b, DecisionSql sql) {
        this.dataSource = b.dataSource;
        this.sql = sql;
        this.carrier = b.carrier;
        this.lease = b.lease;
        this.settleTimeout = b.settleTimeout;
        this.deleteInterval = b.deleteInterval;
        this.incarnations = new Incarnations(dataSource, sql, lease);
        this.finished = new FinishedRows(dataSource, sql);
        this.carrierCheck = new CarrierCheck(sql, CarrierCheck.open(dataSource, sql, b.createTables));
    }

    public static Builder builder(DataSource dataSource, Dialect dialect) {
        return new Builder(dataSource, dialect);
    }

    @Override
    public void startIncarnation(String nodeId, String bootEpoch) {
        if (incarnation != null) {
            throw new IllegalStateException("this DatabaseCommitLog already serves incarnation " + incarnation
                    + "; give each transaction manager its own log");
        }
        String inc = nodeId + "." + bootEpoch;
        incarnations.register(inc, nodeId);
        this.incarnation = inc;
        this.writer = new DecisionWriter(dataSource, sql, incarnations, inc, nodeId);
        this.maintenance = new Maintenance(this, nodeId, lease, deleteInterval);
    }

    @Override
    public String decisionCarrier() {
        return carrier;
    }

    @Override
    public void writeCommitInBranch(CommitRecord record, XAResource carrierResource, Xid xid) {
        requireStarted();
        Connection c = carrierResource instanceof ConnectionBoundResource bound ? bound.branchConnection() : null;
        if (c == null) {
            throw CommitLogException.notWritten("resource " + carrier + " cannot carry the decision of "
                    + record.gtrid() + ": its branch is not on a QuorumTX TransactionalDataSource connection");
        }
        carrierCheck.verify(carrier, c);
        String branches = encodeChecked(record);
        try (PreparedStatement ps = c.prepareStatement(sql.insertDecision())) {
            ps.setString(1, record.gtrid());
            ps.setString(2, "C");
            ps.setString(3, Incarnations.of(record.gtrid()));
            ps.setLong(4, record.decidedAtMillis());
            ps.setString(5, branches);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw CommitLogException.notWritten("could not write the COMMIT row of " + record.gtrid() + " into the"
                    + " branch of " + carrier + ": " + e.getMessage(), e);
        }
        carried.incrementAndGet();
    }

    @Override
    public void logCommit(CommitRecord record) {
        requireStarted();
        encodeChecked(record);
        writer.write(record);
    }

    private static String encodeChecked(CommitRecord record) {
        String text = DecisionSql.encode(record.branches());
        if (text.length() > DecisionSql.MAX_BRANCHES_LENGTH) {
            throw CommitLogException.notWritten("transaction " + record.gtrid() + " has too many branches ("
                    + record.branches().size() + ") for one decision row");
        }
        return text;
    }

    private void requireStarted() {
        if (closed) {
            throw CommitLogException.notWritten("the database commit log is closed");
        }
        if (writer == null) {
            throw CommitLogException.notWritten("the database commit log is not started: pass it to"
                    + " QuorumTransactionManager.builder().commitLog(...), which starts it");
        }
    }

    @Override
    public void logEnd(String gtrid) {
        if (!closed) {
            finished.ended(gtrid);
        }
    }

    @Override
    public void logEndForced(String gtrid) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            finished.delete(c, List.of(gtrid));
            c.commit();
        } catch (SQLException e) {
            throw CommitLogException.inDoubt("could not delete the finished decision of " + gtrid + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void logBranchDone(String gtrid, BranchRecord branch) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            if (decision(c, gtrid) != Decision.COMMIT) {
                return;
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + sql.done + " (gtrid, resource_name,"
                    + " branch_qualifier) VALUES (?, ?, ?)")) {
                ps.setString(1, gtrid);
                ps.setString(2, branch.resourceName());
                ps.setString(3, branch.branchQualifier());
                ps.executeUpdate();
            } catch (SQLException e) {
                if (!sql.isDuplicateKey(e)) {
                    throw e;
                }
            }
        } catch (SQLException e) {
            throw CommitLogException.inDoubt("could not record branch " + branch + " of " + gtrid + " as finished: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public boolean isBranchDone(String gtrid, BranchRecord branch) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + sql.done + " WHERE gtrid = ? AND"
                     + " resource_name = ? AND branch_qualifier = ?")) {
            c.setAutoCommit(true);
            ps.setString(1, gtrid);
            ps.setString(2, branch.resourceName());
            ps.setString(3, branch.branchQualifier());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw CommitLogException.inDoubt("cannot read whether branch " + branch + " of " + gtrid + " is finished: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public Decision decision(String gtrid) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            return decision(c, gtrid);
        } catch (SQLException e) {
            throw CommitLogException.inDoubt("cannot read the decision of " + gtrid + ": " + e.getMessage(), e);
        }
    }

    private Decision decision(Connection c, String gtrid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT decision FROM " + sql.decisions + " WHERE gtrid = ?")) {
            ps.setString(1, gtrid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Decision.UNKNOWN;
                }
                return "C".equals(rs.getString(1)) ? Decision.COMMIT : Decision.ABORT;
            }
        }
    }

    /**
     * Inserts an ABORT row for {@code gtrid} unless a decision exists, and returns the decision that
     * stands (see the class comment). Fences the owner's incarnation first if it is another one
     * whose lease lapsed.
     *
     * @throws CommitLogException (in doubt) if it cannot be told now: a live coordinator's COMMIT
     *     row is still uncommitted (the lock wait timed out), or the database cannot be reached
     */
    @Override
    public Decision settle(String gtrid) {
        String owner = Incarnations.of(gtrid);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            String restore = null;
            try {
                restore = sql.limitLockWait(c, settleTimeout.toMillis());
                if (!owner.equals(incarnation) && incarnations.isLapsed(c, owner)) {
                    incarnations.fence(c, owner);
                }
                try (PreparedStatement ps = c.prepareStatement(sql.insertDecision())) {
                    ps.setString(1, gtrid);
                    ps.setString(2, "A");
                    ps.setString(3, owner);
                    ps.setLong(4, System.currentTimeMillis());
                    ps.setString(5, "");
                    ps.executeUpdate();
                }
                c.commit();
                return Decision.ABORT;
            } catch (SQLException e) {
                rollbackQuietly(c, e);
                if (sql.isDuplicateKey(e)) {
                    Decision d = decision(c, gtrid);
                    c.commit();
                    if (d != Decision.UNKNOWN) {
                        return d;
                    }
                }
                throw CommitLogException.inDoubt("cannot settle " + gtrid + " now (a coordinator may still be"
                        + " committing it): " + e.getMessage(), e);
            } finally {
                resetSession(c, restore);
            }
        } catch (SQLException e) {
            throw CommitLogException.inDoubt("cannot settle " + gtrid + " now: " + e.getMessage(), e);
        }
    }

    private static void rollbackQuietly(Connection c, SQLException cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private static void resetSession(Connection c, String restore) throws SQLException {
        if (restore != null) {
            try (Statement s = c.createStatement()) {
                s.execute(restore);
            }
        }
        c.setAutoCommit(true);
    }

    @Override
    public boolean isOwnerLeaseLapsed(String nodeId) {
        try {
            return incarnations.isNodeLapsed(nodeId);
        } catch (SQLException e) {
            return false; // cannot tell: treat it as alive (recovery leaves its transactions for a later pass)
        }
    }

    @Override
    public boolean settlesInDoubt() {
        return true;
    }

    @Override
    public void onTakeoverNeeded(Runnable trigger) {
        Maintenance m = maintenance;
        if (m != null) {
            m.onTakeoverNeeded(trigger);
        }
    }

    @Override
    public List<CommitRecord> unfinished() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT gtrid, decided_at, branches FROM " + sql.decisions
                     + " WHERE decision = 'C' ORDER BY decided_at, gtrid")) {
            c.setAutoCommit(true);
            List<CommitRecord> records = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    records.add(new CommitRecord(rs.getString(1), DecisionSql.decode(rs.getString(3)), rs.getLong(2)));
                }
            }
            return records;
        } catch (SQLException e) {
            throw CommitLogException.inDoubt("cannot read the unfinished commits: " + e.getMessage(), e);
        }
    }

    /** Renews this incarnation's lease (the maintenance thread); false if it is fenced. */
    boolean renewLease() throws SQLException {
        String inc = incarnation;
        return inc != null && incarnations.renew(inc);
    }

    /** For tests: deletes the ABORT rows of fenced incarnations now, whatever their age. */
    void deleteFencedAbortsNow() throws SQLException {
        finished.deleteFencedAborts(Duration.ZERO);
    }

    /** For tests: stop renewing this incarnation's lease, as a paused process would. */
    void pauseLeaseRenewal() {
        maintenance.pauseRenewal();
    }

    /** For tests: the deleter's part of one maintenance round now, as the round would run it; returns the ENDs applied. */
    int runDeleterNow() throws Exception {
        return maintenance.runDeleteNow();
    }

    /** For tests: one maintenance round now (deletes ended rows and fenced owners' ABORT rows of any age). */
    void runMaintenanceNow() throws Exception {
        maintenance.runRoundNow();
    }

        FinishedRows finished() {
        return finished;
    }

    Incarnations incarnations() {
        return incarnations;
    }

    /** This manager incarnation ({@code nodeId.bootEpoch}), or null before the manager started the log. */
    public String incarnation() {
        return incarnation;
    }

    /** Counters for tests, benchmarks and metrics. */
    public Stats stats() {
        DecisionWriter w = writer;
        return new Stats(carried.get(), w == null ? 0 : w.decisions(), w == null ? 0 : w.commits(), finished.deleted());
    }

    /**
     * What the log has done since it started.
     *
     * @param carriedDecisions COMMIT rows written inside a participant's branch
     * @param standaloneDecisions COMMIT rows written by the group-committing writer
     * @param standaloneCommits the writer's local commits (each a round trip and a server force)
     * @param rowsDeleted decision rows deleted (finished COMMITs, fenced owners' ABORTs)
     */
    public record Stats(long carriedDecisions, long standaloneDecisions, long standaloneCommits, long rowsDeleted) {
    }

    /** Stops the threads, deletes what is ended, and retires this incarnation (fenced: its ABORT rows may go). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        DecisionWriter w = writer;
        if (w != null) {
            w.close();
        }
        Maintenance m = maintenance;
        if (m != null) {
            m.close();
        }
        try {
            while (finished.deleteEnded(Maintenance.BATCH) > 0) {
                // until every queued END is applied
            }
            String inc = incarnation;
            if (inc != null) {
                try (Connection c = dataSource.getConnection()) {
                    c.setAutoCommit(true);
                    incarnations.fence(c, inc);
                }
            }
        } catch (SQLException e) {
            Maintenance.LOG.warn("Could not retire incarnation {} cleanly; its lease lapses instead", incarnation, e);
        }
    }

    /** Settings of a {@link DatabaseCommitLog}, validated at {@link #build()}. */
    public static final class Builder {
        private final DataSource dataSource;
        private final Dialect dialect;
        private String tablePrefix = "quorumtx_log";
        private String carrier;
        private boolean createTables = true;
        private Duration lease = Duration.ofSeconds(30);
        private Duration settleTimeout = Duration.ofSeconds(2);
        private Duration deleteInterval = Duration.ofMillis(200);

        private Builder(DataSource dataSource, Dialect dialect) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            this.dialect = Objects.requireNonNull(dialect, "dialect");
        }

        /** Prefix of the four tables (default {@code quorumtx_log}): 1 to 40 characters of [A-Za-z0-9_]. */
        public Builder tablePrefix(String prefix) {
            this.tablePrefix = prefix;
            return this;
        }

        /**
         * The name of the {@code TransactionalDataSource} over this same database: a transaction that
         * enlists it carries its decision in that branch's one-phase commit. Checked at its first
         * use: a resource of another database is refused (the transaction rolls back).
         */
        public Builder carriedBy(String resourceName) {
            this.carrier = resourceName;
            return this;
        }

        /** Whether the tables are created if missing (default true); off where DDL is not allowed. */
        public Builder createTables(boolean create) {
            this.createTables = create;
            return this;
        }

        /** How long a node's lease lasts without renewal (default 30 s); renewed every third of it. */
        public Builder leaseDuration(Duration lease) {
            this.lease = lease;
            return this;
        }

        /** How long settling waits on a live coordinator's uncommitted COMMIT row (default 2 s). */
        public Builder settleTimeout(Duration timeout) {
            this.settleTimeout = timeout;
            return this;
        }

        /** How often rows of finished transactions are deleted (default 200 ms). */
        public Builder deleteInterval(Duration interval) {
            this.deleteInterval = interval;
            return this;
        }

        /** Validates, creates the tables if asked and writes the database identity token. */
        public DatabaseCommitLog build() {
            DecisionSql sql = DecisionSql.of(dialect, tablePrefix);
            if (carrier != null && !NodeIds.isValidResourceName(carrier)) {
                throw new IllegalArgumentException("carriedBy '" + carrier + "' is not a resource name: use the name"
                        + " of a TransactionalDataSource (1 to " + NodeIds.MAX_RESOURCE_NAME_LENGTH
                        + " characters of [A-Za-z0-9_.-])");
            }
            positive("leaseDuration", lease);
            positive("settleTimeout", settleTimeout);
            positive("deleteInterval", deleteInterval);
            if (lease.toMillis() < 300) {
                throw new IllegalArgumentException("leaseDuration must be at least 300 ms, got " + lease);
            }
            return new DatabaseCommitLog(this, sql);
        }

        private static void positive(String setting, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(setting + " must be a positive duration, got " + d);
            }
        }
    }
}
