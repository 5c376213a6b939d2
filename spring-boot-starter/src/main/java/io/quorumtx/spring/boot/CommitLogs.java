package io.quorumtx.spring.boot;

import io.quorumtx.jdbc.dblog.DatabaseCommitLog;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.tm.QuorumTransactionManagerBuilder;
import io.quorumtx.tm.paxos.ReplicatedLogConfig;
import io.quorumtx.tm.paxos.StartMode;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Applies {@code quorumtx.log.*} to the manager's builder: which commit log, and its settings.
 *
 * <p>The replicated log's secret is read here from the environment variable
 * {@code quorumtx.log.replicated.secret-env} names (or the {@code secret} property) and handed to
 * the builder as bytes; it is never logged and never kept in a string beyond this method.
 *
 * <p>The database log ({@code quorumtx.log.type=database}) needs the pool of a DataSource bean,
 * which only the bean factory can give, in an order {@link DatabaseLogWiring} works out; it
 * arrives here built, and {@link #database} is where its properties are applied.
 */
final class CommitLogs {
    private CommitLogs() {
    }

    /** {@code databaseLog} is the built database log with {@code quorumtx.log.type=database}, else null. */
    static void configure(QuorumTransactionManagerBuilder builder, String nodeId, QuorumTxProperties.Log log,
            DatabaseCommitLog databaseLog) {
        switch (log.getType()) {
            case LOCAL -> builder.logDirectory(log.getDirectory().toAbsolutePath());
            case REPLICATED -> builder.replicatedLog(replicated(nodeId, log.getReplicated()));
            case DATABASE -> builder.commitLog(Objects.requireNonNull(databaseLog, "databaseLog"));
        }
    }

    /**
     * The database commit log on {@code pool} (the DataSource bean's own pool, never its wrapper:
     * the log's statements must not join the application's transactions), carried by the wrapped
     * bean {@code carrier} (null when the bean is not wrapped). Creates the tables if asked.
     */
    static DatabaseCommitLog database(DataSource pool, Dialect dialect, String carrier, DatabaseLogProperties d) {
        DatabaseCommitLog.Builder b = DatabaseCommitLog.builder(pool, dialect)
                .tablePrefix(d.getTablePrefix())
                .createTables(d.isCreateTables())
                .leaseDuration(d.getLease())
                .settleTimeout(d.getSettleTimeout())
                .deleteInterval(d.getDeleteInterval());
        if (carrier != null) {
            b.carriedBy(carrier);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid quorumtx.log.database.* setting (table-prefix, lease, "
                    + "settle-timeout, delete-interval map to tablePrefix, leaseDuration, settleTimeout, "
                    + "deleteInterval): " + e.getMessage(), e);
        }
    }

    private static ReplicatedLogConfig replicated(String nodeId, QuorumTxProperties.Replicated r) {
        if (r.getDataDirectory() == null) {
            throw new IllegalArgumentException("quorumtx.log.replicated.data-directory is required with "
                    + "quorumtx.log.type=replicated: the directory of this node's Paxos acceptor files");
        }
        if (r.getMembers().isEmpty()) {
            throw new IllegalArgumentException("quorumtx.log.replicated.members is required with quorumtx.log.type="
                    + "replicated: every member as nodeId=host:port, e.g. orders-1=10.0.0.1:7801,orders-2=...");
        }
        StartMode mode;
        try {
            mode = StartMode.valueOf(r.getStartMode().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("quorumtx.log.replicated.start-mode '" + r.getStartMode()
                    + "' is invalid: use BOOTSTRAP, RESTART or REJOIN", e);
        }
        return ReplicatedLogConfig.builder()
                .nodeId(nodeId)
                .dataDirectory(r.getDataDirectory().toAbsolutePath())
                .members(r.getMembers())
                .secret(secret(r))
                .startMode(mode)
                .requestTimeout(r.getRequestTimeout())
                .commitTimeout(r.getCommitTimeout())
                .lease(r.getLease())
                .tombstoneRetention(r.getTombstoneRetention())
                .clockSkewMargin(r.getClockSkewMargin())
                .build();
    }

    private static byte[] secret(QuorumTxProperties.Replicated r) {
        if (r.getSecret() != null && !r.getSecret().isEmpty()) {
            return r.getSecret().getBytes(StandardCharsets.UTF_8);
        }
        String env = r.getSecretEnv();
        String value = env == null || env.isBlank() ? null : System.getenv(env);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("The replicated commit log needs the cluster's shared secret: set the "
                    + "environment variable " + env + " (quorumtx.log.replicated.secret-env names it) or the property "
                    + "quorumtx.log.replicated.secret, at least 16 bytes, the same on every member");
        }
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
