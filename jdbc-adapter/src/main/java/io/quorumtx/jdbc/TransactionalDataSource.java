package io.quorumtx.jdbc;

import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.internal.shared.ConnectionBoundResource;
import io.quorumtx.jdbc.internal.shared.DatabaseChecks;
import io.quorumtx.jdbc.internal.Enlistment;
import io.quorumtx.jdbc.internal.HikariPresence;
import io.quorumtx.jdbc.internal.HikariSupport;
import io.quorumtx.jdbc.internal.MarkerConnections;
import io.quorumtx.jdbc.internal.Participants;
import io.quorumtx.jdbc.internal.PreCommitMarkerTable;
import io.quorumtx.jdbc.internal.TransactionControlSql;
import io.quorumtx.jdbc.internal.XaConnectionSource;
import io.quorumtx.tm.QuorumTransactionManager;
import jakarta.transaction.RollbackException;
import jakarta.transaction.SystemException;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import javax.sql.XADataSource;
import javax.transaction.xa.XAResource;
import org.slf4j.LoggerFactory;

/**
 * A {@link DataSource} whose connections join the current QuorumTX transaction.
 *
 * <p>Two ways to build one:
 * <ul>
 *   <li>{@link Builder#xaDataSource(XADataSource)}: any JDBC driver's XA support, pooled by a
 *       HikariCP pool this DataSource builds (HikariCP, an optional dependency, must be on the
 *       class path). HikariCP pools plain connections, so each pooled connection is the logical
 *       connection of its own XAConnection, which stays reachable for its XAResource and is
 *       closed with it.</li>
 *   <li>{@link Builder#dataSource(DataSource)} plus a {@link Dialect}: an existing pool (for
 *       example the application's own {@code HikariDataSource}, or any other DataSource; HikariCP
 *       is not needed); two-phase commit runs through the database's own SQL
 *       ({@code PREPARE TRANSACTION}, {@code XA PREPARE}, {@code PREPARE COMMIT}).</li>
 * </ul>
 *
 * <p>Inside a transaction, the first {@code getConnection()} takes a connection from the pool
 * and enlists its branch; every later call in the same transaction returns a new handle on the
 * same physical connection (kept in the transaction's synchronization registry under this
 * DataSource). Closing a handle does not release the connection: it goes back to the pool when
 * the transaction completes. If phase 2 failed, it stays with its prepared branch until the
 * transaction manager's retry through it finishes the branch; a connection in any other unclear
 * state is closed instead of reused, and recovery finishes its branch. {@code commit()},
 * {@code rollback()} and {@code setAutoCommit(true)} on a handle fail, because the transaction
 * manager decides the outcome; so does SQL that would do the same ({@code COMMIT}, {@code BEGIN},
 * {@code SET AUTOCOMMIT}, DDL that commits implicitly on H2 and MySQL/MariaDB, ...). Outside a transaction, {@code getConnection()} is exactly the pool's.
 *
 * <p>The DataSource registers itself with the transaction manager as a
 * {@link io.quorumtx.tm.spi.RecoverableResource} under its name, so phase-2 retries and recovery can
 * reach the database without the application. {@link #close()} unregisters it and closes the
 * pool it built for an XADataSource; it never closes a DataSource the caller passed in, which
 * the caller still owns.
 */
public final class TransactionalDataSource implements DataSource, AutoCloseable {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,48}");

    /** The table of three-phase-commit pre-commit markers unless {@link Builder#preCommitMarkerTable} names another. */
    public static final String DEFAULT_MARKER_TABLE = "quorumtx_precommit";

    private final String name;
    /** The manager's enlistment gate has let this DataSource through once (see awaitRecovered). */
    private volatile boolean recoveredSinceStart;
    private final QuorumTransactionManager transactionManager;
    private final TransactionSynchronizationRegistry registry;
    private final DataSource pool;
    /** The HikariCP pool built for an XADataSource, closed with this DataSource; null with dataSource(...). */
    private final DataSource ownedPool;
    /** Whether {@link #pool} is a HikariCP pool, which evicts a connection that must not be reused. */
    private final boolean hikariPool;
    private final Participants participants;
    private final PreCommitMarkerTable markers;
    private final MarkerConnections.SidePool markerPool;
    private final DatabaseChecks checks;
    /** Which SQL enlisted handles refuse; read from the first pooled connection's metadata. */
    private volatile TransactionControlSql sqlRules;
    private final Enlistment.Pool giveBack = this::giveBack;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TransactionalDataSource(Builder b, DataSource pool, DataSource ownedPool, Participants participants,
            PreCommitMarkerTable markers, MarkerConnections.SidePool markerPool) {
        this.markers = markers;
        this.markerPool = markerPool;
        this.name = b.name;
        this.transactionManager = b.transactionManager;
        this.registry = b.transactionManager.getTransactionSynchronizationRegistry();
        this.pool = pool;
        this.ownedPool = ownedPool;
        this.hikariPool = HikariPresence.isPool(pool);
        this.participants = participants;
        this.checks = new DatabaseChecks(b.name, b.allowNonDurableH2);
    }

    public static Builder builder(QuorumTransactionManager transactionManager) {
        return new Builder(transactionManager);
    }

    /**
     * The transaction manager whose transactions this DataSource's connections join: an
     * integration that writes through it (the messaging outbox) asks it whether a transaction is active.
     */
    public QuorumTransactionManager transactionManager() {
        return transactionManager;
    }

    /** The stable resource name, as registered with the transaction manager. */
    public String name() {
        return name;
    }

    @Override
    public Connection getConnection() throws SQLException {
        if (closed.get()) {
            throw new SQLException("TransactionalDataSource '" + name + "' is closed");
        }
        Transaction transaction = transactionManager.getTransaction();
        if (transaction == null) {
            return pool.getConnection();
        }
        Enlistment enlistment = (Enlistment) registry.getResource(this);
        if (enlistment == null) {
            enlistment = enlist(transaction);
        }
        return enlistment.newHandle();
    }

    private Enlistment enlist(Transaction transaction) throws SQLException {
        if (!recoveredSinceStart) {
            try {
                // Before taking a pooled connection: the recovery pass may need one of this pool's.
                transactionManager.awaitRecovered(name);
            } catch (SystemException e) {
                throw new SQLException("cannot enlist " + name + " in the current transaction: " + e.getMessage(), e);
            }
            recoveredSinceStart = true; // from now on the manager's own one-lookup check suffices
        }
        Connection pooled = pool.getConnection();
        Enlistment enlistment;
        XAResource resource;
        try {
            checks.verifyOnce(pooled);
            resource = participants.resourceFor(pooled);
            enlistment = new Enlistment(pooled, (ConnectionBoundResource) resource, giveBack, sqlRules(pooled));
        } catch (SQLException | RuntimeException e) {
            giveBack(pooled, true);
            throw e;
        }
        try {
            registry.registerInterposedSynchronization(enlistment);
            if (!transaction.enlistResource(resource)) {
                throw new SQLException("the transaction refused to enlist " + name);
            }
        } catch (RollbackException e) {
            enlistment.abandon();
            throw new SQLException("cannot enlist " + name + ": the transaction is marked for rollback", "25000", e);
        } catch (SystemException | IllegalStateException e) {
            enlistment.abandon();
            throw new SQLException("cannot enlist " + name + " in the current transaction: " + e.getMessage(), e);
        } catch (SQLException e) {
            enlistment.abandon();
            throw e;
        }
        registry.putResource(this, enlistment);
        return enlistment;
    }

    private TransactionControlSql sqlRules(Connection pooled) throws SQLException {
        TransactionControlSql rules = sqlRules;
        if (rules == null) {
            rules = TransactionControlSql.of(pooled); // once per DataSource; a race only repeats it
            sqlRules = rules;
        }
        return rules;
    }

    private void giveBack(Connection pooled, boolean reusable) {
        try {
            if (reusable) {
                pooled.close();
            } else if (hikariPool) {
                HikariSupport.evict(pool, pooled);
            } else {
                // Not a HikariCP pool: ask the pool to drop the physical connection; if the driver
                // ignores abort (H2 does), close it so it is not leaked.
                pooled.abort(Runnable::run);
                if (!pooled.isClosed()) {
                    pooled.close();
                }
            }
        } catch (SQLException | RuntimeException e) {
            LoggerFactory.getLogger(TransactionalDataSource.class)
                    .warn("Could not release a connection of {} after its transaction", name, e);
        }
    }

    /**
     * Unregisters from the transaction manager and closes the pool this DataSource built for an
     * XADataSource. A DataSource passed to {@link Builder#dataSource(DataSource)} stays open: its
     * owner closes it.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            transactionManager.unregisterResource(name);
        } finally {
            try {
                markers.close();
                if (markerPool != null) {
                    markerPool.close();
                }
            } finally {
                if (ownedPool != null) {
                    HikariSupport.close(ownedPool);
                }
            }
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("TransactionalDataSource '" + name
                + "' hands out connections of its configured pool only; configure credentials on the pool");
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return pool.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        pool.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        pool.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return pool.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return pool.getParentLogger();
    }

    /** Also unwraps to the pool ({@code HikariDataSource}), for its metrics. */
    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        if (type.isInstance(pool)) {
            return type.cast(pool);
        }
        return pool.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return type.isInstance(this) || type.isInstance(pool) || pool.isWrapperFor(type);
    }

    @Override
    public String toString() {
        return "TransactionalDataSource[" + name + "]";
    }

    /** Settings for one wrapped DataSource, validated at {@link #build()}. */
    public static final class Builder {

        private final QuorumTransactionManager transactionManager;
        private String name;
        private XADataSource xaDataSource;
        private DataSource dataSource;
        private Dialect dialect;
        private Integer maximumPoolSize;
        private Integer minimumIdle;
        private Duration connectionTimeout;
        private boolean allowNonDurableH2;
        private String markerTable = DEFAULT_MARKER_TABLE;
        private boolean createMarkerTable = true;
        private DataSource markerDataSource;

        private Builder(QuorumTransactionManager transactionManager) {
            this.transactionManager = Objects.requireNonNull(transactionManager, "transactionManager");
        }

        /** Stable resource name: 1 to 48 characters of {@code [A-Za-z0-9_.-]}, the same across restarts. */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /**
         * Style (a): a driver's XADataSource, pooled by a HikariCP pool this DataSource owns. Needs
         * HikariCP ({@code com.zaxxer:HikariCP}, optional in jdbc-adapter) on the class path;
         * {@link #build()} fails without it.
         */
        public Builder xaDataSource(XADataSource xaDataSource) {
            this.xaDataSource = xaDataSource;
            return this;
        }

        /** Style (b): an existing DataSource (usually a pool), driven through {@link #dialect(Dialect)}. Never closed by us. */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = dataSource;
            return this;
        }

        /** The database's two-phase-commit SQL, required with {@link #dataSource(DataSource)}. */
        public Builder dialect(Dialect dialect) {
            this.dialect = dialect;
            return this;
        }

        /** Size of the pool built for an XADataSource (default 10). */
        public Builder maximumPoolSize(int maximumPoolSize) {
            this.maximumPoolSize = maximumPoolSize;
            return this;
        }

        /** Idle connections kept by the pool built for an XADataSource (default: the maximum pool size). */
        public Builder minimumIdle(int minimumIdle) {
            this.minimumIdle = minimumIdle;
            return this;
        }

        /** How long getConnection() waits for the pool built for an XADataSource (default 30 s). */
        public Builder connectionTimeout(Duration connectionTimeout) {
            this.connectionTimeout = connectionTimeout;
            return this;
        }

        /**
         * Accepts an H2 file database whose {@code WRITE_DELAY} is above 0, which can lose committed
         * transactions when the process dies. Without this, such a database is refused at its first
         * enlistment with a message asking for {@code ;WRITE_DELAY=0} in the URL.
         */
        public Builder allowNonDurableH2() {
            this.allowNonDurableH2 = true;
            return this;
        }

        /**
         * The table that keeps this database's three-phase-commit pre-commit markers (default
         * {@value TransactionalDataSource#DEFAULT_MARKER_TABLE}): 1 to 63 characters of
         * {@code [A-Za-z0-9_]}, starting with a letter or _. The recovery tool must be told the same name.
         */
        public Builder preCommitMarkerTable(String table) {
            this.markerTable = table;
            return this;
        }

        /**
         * Whether the marker table is created (CREATE TABLE IF NOT EXISTS) when the first marker is
         * written (default true). Turn it off where the application's user may not create tables,
         * and create it from the README's DDL.
         */
        public Builder createPreCommitMarkerTable(boolean create) {
            this.createMarkerTable = create;
            return this;
        }

        /**
         * Where marker connections come from, with {@link #dataSource(DataSource)} (default: a
         * two-connection side pool copied from a HikariCP pool, or the DataSource itself if it is
         * not one). Markers are written while the transaction holds a connection of the pool, so
         * they must not compete with the application for that pool's last connection.
         */
        public Builder preCommitMarkerDataSource(DataSource markerDataSource) {
            this.markerDataSource = markerDataSource;
            return this;
        }

        public TransactionalDataSource build() {
            validate();
            DataSource pool;
            DataSource ownedPool = null;
            Participants participants;
            PreCommitMarkerTable markers;
            MarkerConnections.SidePool markerPool = null;
            if (xaDataSource != null) {
                markers = new PreCommitMarkerTable(name, markerTable, createMarkerTable, MarkerConnections.of(xaDataSource));
                ownedPool = HikariSupport.pool("quorumtx-" + name, new XaConnectionSource(xaDataSource, name),
                        maximumPoolSize, minimumIdle, connectionTimeout);
                pool = ownedPool;
                participants = Participants.xa(name, xaDataSource, markers);
            } else {
                markerPool = MarkerConnections.of(markerDataSource != null ? markerDataSource : dataSource, name);
                markers = new PreCommitMarkerTable(name, markerTable, createMarkerTable, markerPool);
                pool = dataSource;
                participants = Participants.dialect(name, dataSource, dialect, markers);
            }
            TransactionalDataSource built = new TransactionalDataSource(this, pool, ownedPool, participants, markers,
                    markerPool);
            try {
                transactionManager.registerResource(participants);
            } catch (RuntimeException e) {
                if (ownedPool != null) {
                    HikariSupport.close(ownedPool);
                }
                throw e;
            }
            return built;
        }

        private void validate() {
            if (name == null || !NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("name " + (name == null ? "is not set" : "'" + name + "' is invalid")
                        + ": use 1 to 48 characters of [A-Za-z0-9_.-], stable across restarts");
            }
            if ((xaDataSource == null) == (dataSource == null)) {
                throw new IllegalArgumentException("TransactionalDataSource '" + name + "': set exactly one of"
                        + " xaDataSource(...) (a driver's XADataSource) or dataSource(...) with dialect(...)");
            }
            if (dataSource != null && dialect == null) {
                throw new IllegalArgumentException("TransactionalDataSource '" + name + "': dialect is required with"
                        + " dataSource(...); use Dialect.h2(), Dialect.postgresql() or Dialect.mysql()");
            }
            if (xaDataSource != null && dialect != null) {
                throw new IllegalArgumentException("TransactionalDataSource '" + name + "': dialect applies only to"
                        + " dataSource(...); an xaDataSource uses its driver's XAResource");
            }
            if (dataSource != null && (maximumPoolSize != null || minimumIdle != null || connectionTimeout != null)) {
                throw new IllegalArgumentException("TransactionalDataSource '" + name + "': maximumPoolSize, minimumIdle"
                        + " and connectionTimeout configure the pool built for xaDataSource(...); with dataSource(...)"
                        + " configure the pool you pass in");
            }
            if (maximumPoolSize != null && (maximumPoolSize < 1 || maximumPoolSize > 10_000)) {
                throw new IllegalArgumentException("TransactionalDataSource '" + name + "': maximumPoolSize must be"
                        + " between 1 and 10000, was " + maximumPoolSize);
            }
            int max = maximumPoolSize == null ? 10 : maximumPoolSize;
            if (minimumIdle != null && (minimumIdle < 0 || minimumIdle > max)) {
                throw new IllegalArgumentException("TransactionalDataSource '" + name + "': minimumIdle must be"
                        + " between 0 and maximumPoolSize (" + max + "), was " + minimumIdle);
            }
            if (connectionTimeout != null && connectionTimeout.toMillis() < 250) {
                throw new IllegalArgumentException("TransactionalDataSource '" + name + "': connectionTimeout must be"
                        + " at least 250 ms (HikariCP's minimum), was " + connectionTimeout);
            }
            if (xaDataSource != null && !HikariPresence.present()) {
                throw new IllegalStateException("TransactionalDataSource '" + name + "': the XA-wrapping style"
                        + " (xaDataSource(...)) pools the driver's XAConnections with HikariCP, which is not on the"
                        + " class path: add the dependency " + HikariPresence.COORDINATES + " (jdbc-adapter declares"
                        + " it optional), or use dataSource(...) with dialect(...) over your own pool, which does"
                        + " not need it");
            }
        }
    }
}
