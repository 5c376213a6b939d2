package io.quorumtx.spring.boot;

import java.time.Duration;

/**
 * The database commit log ({@code quorumtx.log.type=database}): decisions kept in four tables of
 * the database behind one of the application's DataSource beans ({@code DatabaseCommitLog} of
 * jdbc-adapter). A class of its own rather than a nested one of {@link QuorumTxProperties}, which
 * is long enough; {@code @NestedConfigurationProperty} on the field keeps it in the metadata.
 */
public class DatabaseLogProperties {
    /**
     * The DataSource bean whose database holds the decision tables. The log uses that bean's own
     * pool (not the QuorumTX wrapper), and a transaction that enlists the wrapped bean writes its
     * decision inside that database's branch. Required with quorumtx.log.type=database.
     */
    private String datasource;

    /** Prefix of the four tables (prefix_decisions, _done, _nodes, _meta): 1-40 characters of [A-Za-z0-9_]. */
    private String tablePrefix = "quorumtx_log";

    /** Create the tables if they do not exist; off where the application may not run DDL. */
    private boolean createTables = true;

    /**
     * How long this node's lease lasts without renewal (renewed every third of it, by the
     * database's clock). Another node finishes this node's transactions once it lapsed.
     */
    private Duration lease = Duration.ofSeconds(30);

    /** How long recovery waits on a live coordinator's uncommitted decision before it leaves the branch for a later pass. */
    private Duration settleTimeout = Duration.ofSeconds(2);

    /** How often the rows of finished transactions are deleted. */
    private Duration deleteInterval = Duration.ofMillis(200);

    public String getDatasource() {
        return datasource;
    }

    public void setDatasource(String datasource) {
        this.datasource = datasource;
    }

    public String getTablePrefix() {
        return tablePrefix;
    }

    public void setTablePrefix(String tablePrefix) {
        this.tablePrefix = tablePrefix;
    }

    public boolean isCreateTables() {
        return createTables;
    }

    public void setCreateTables(boolean createTables) {
        this.createTables = createTables;
    }

    public Duration getLease() {
        return lease;
    }

    public void setLease(Duration lease) {
        this.lease = lease;
    }

    public Duration getSettleTimeout() {
        return settleTimeout;
    }

    public void setSettleTimeout(Duration settleTimeout) {
        this.settleTimeout = settleTimeout;
    }

    public Duration getDeleteInterval() {
        return deleteInterval;
    }

    public void setDeleteInterval(Duration deleteInterval) {
        this.deleteInterval = deleteInterval;
    }
}
