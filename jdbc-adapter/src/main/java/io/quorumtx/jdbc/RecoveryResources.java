package io.quorumtx.jdbc;

import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.jdbc.internal.MarkerConnections;
import io.quorumtx.jdbc.internal.Participants;
import io.quorumtx.jdbc.internal.PreCommitMarkerTable;
import io.quorumtx.tm.spi.RecoverableResource;
import io.quorumtx.tm.xid.NodeIds;
import java.util.Objects;
import javax.sql.DataSource;
import javax.sql.XADataSource;

/**
 * Recoverable resources without a transaction manager: what the recovery tool (or any program
 * that finishes in-doubt branches) needs to reach a database by the same name the application's
 * {@link TransactionalDataSource} registered.
 *
 * <p>They are the very objects a {@code TransactionalDataSource} registers for recovery (the same
 * branch naming, the same H2 handling), built without a pool and without enlisting anything, so
 * a branch prepared by the application is found and finished exactly as its own recovery
 * manager would.
 */
public final class RecoveryResources {

    private RecoveryResources() {
    }

    /**
     * A database reached through a plain {@link DataSource} and its two-phase-commit SQL. Each
     * recovery connection is one {@code getConnection()}, closed when recovery is done with it.
     */
    public static RecoverableResource dialect(String name, DataSource dataSource, Dialect dialect) {
        return dialect(name, dataSource, dialect, TransactionalDataSource.DEFAULT_MARKER_TABLE);
    }

    /**
     * As {@link #dialect(String, DataSource, Dialect)}, reading three-phase-commit pre-commit markers
     * from {@code markerTable} (the name the application's TransactionalDataSource uses). Recovery
     * writes a missing marker before it commits a 3PC branch, so it creates the table if a crash
     * came before the application's first marker in this database.
     */
    public static RecoverableResource dialect(String name, DataSource dataSource, Dialect dialect, String markerTable) {
        validName(name);
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(dialect, "dialect");
        return Participants.dialect(name, dataSource, dialect,
                new PreCommitMarkerTable(name, markerTable, true, MarkerConnections.of(dataSource, name)));
    }

    /** A database reached through its driver's {@link XADataSource}; each recovery connection is one XAConnection. */
    public static RecoverableResource xa(String name, XADataSource xaDataSource) {
        return xa(name, xaDataSource, TransactionalDataSource.DEFAULT_MARKER_TABLE);
    }

    /** As {@link #xa(String, XADataSource)}, reading pre-commit markers from {@code markerTable}. */
    public static RecoverableResource xa(String name, XADataSource xaDataSource, String markerTable) {
        validName(name);
        Objects.requireNonNull(xaDataSource, "xaDataSource");
        return Participants.xa(name, xaDataSource,
                new PreCommitMarkerTable(name, markerTable, true, MarkerConnections.of(xaDataSource)));
    }

    private static void validName(String name) {
        if (!NodeIds.isValidResourceName(name)) {
            throw new IllegalArgumentException("resource name " + (name == null ? "is not set" : "'" + name
                    + "' is invalid") + ": use 1 to " + NodeIds.MAX_RESOURCE_NAME_LENGTH
                    + " characters of [A-Za-z0-9_.-], the name the application's TransactionalDataSource uses");
        }
    }
}
