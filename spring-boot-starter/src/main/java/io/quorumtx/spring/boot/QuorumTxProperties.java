package io.quorumtx.spring.boot;

import io.quorumtx.tm.CommitProtocolType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;

/**
 * The {@code quorumtx.*} properties of the starter. Each maps to one setting of
 * {@code QuorumTransactionManager.builder()}, {@code ReplicatedLogConfig.builder()},
 * {@code DatabaseCommitLog.builder(..)},
 * {@code TransactionalDataSource.builder(tm)} or {@code DatabaseLockService.builder(..)}; the
 * builders validate them and name a bad one. Mutable JavaBeans rather than records so that the
 * configuration processor turns the field Javadoc into IDE descriptions and sees the defaults.
 */
@ConfigurationProperties("quorumtx")
public class QuorumTxProperties {
    /** Whether the starter configures QuorumTX at all. */
    private boolean enabled = true;

    /**
     * This node's id: 1-24 characters of [A-Za-z0-9_-], unique per node and stable across
     * restarts (it is in every Xid and recorded in the commit log). Default: derived from the
     * host name, with a warning.
     */
    private String nodeId;

    /** The default transaction timeout (when a transaction sets none). */
    private Duration defaultTimeout = Duration.ofSeconds(60);

    /** How often overdue transactions are looked for. */
    private Duration reaperInterval = Duration.ofSeconds(1);

    /** Time between periodic recovery passes; 0 turns them off (the pass at start-up still runs). */
    private Duration recoveryInterval = Duration.ofSeconds(30);

    /**
     * How old an undecided branch of this manager's own running incarnation must be before
     * recovery may presume it aborted. Default: twice the default timeout.
     */
    private Duration recoverySafetyInterval;

    /** The protocol of transactions that do not choose one: TWO_PHASE or THREE_PHASE. */
    private CommitProtocolType defaultProtocol = CommitProtocolType.TWO_PHASE;

    /** First delay of the background phase-2 retries. */
    private Duration phase2RetryInitial = Duration.ofMillis(200);

    /** Longest delay of the background phase-2 retries. */
    private Duration phase2RetryMax = Duration.ofSeconds(30);

    private final Log log = new Log();
    private final DataSources datasource = new DataSources();
    private final Locks locks = new Locks();
    private final Startup startup = new Startup();
    private final Shutdown shutdown = new Shutdown();
    private final Health health = new Health();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getNodeId() {
        return nodeId;
    }

    public void setNodeId(String nodeId) {
        this.nodeId = nodeId;
    }

    public Duration getDefaultTimeout() {
        return defaultTimeout;
    }

    public void setDefaultTimeout(Duration defaultTimeout) {
        this.defaultTimeout = defaultTimeout;
    }

    public Duration getReaperInterval() {
        return reaperInterval;
    }

    public void setReaperInterval(Duration reaperInterval) {
        this.reaperInterval = reaperInterval;
    }

    public Duration getRecoveryInterval() {
        return recoveryInterval;
    }

    public void setRecoveryInterval(Duration recoveryInterval) {
        this.recoveryInterval = recoveryInterval;
    }

    public Duration getRecoverySafetyInterval() {
        return recoverySafetyInterval;
    }

    public void setRecoverySafetyInterval(Duration recoverySafetyInterval) {
        this.recoverySafetyInterval = recoverySafetyInterval;
    }

    public CommitProtocolType getDefaultProtocol() {
        return defaultProtocol;
    }

    public void setDefaultProtocol(CommitProtocolType defaultProtocol) {
        this.defaultProtocol = defaultProtocol;
    }

    public Duration getPhase2RetryInitial() {
        return phase2RetryInitial;
    }

    public void setPhase2RetryInitial(Duration phase2RetryInitial) {
        this.phase2RetryInitial = phase2RetryInitial;
    }

    public Duration getPhase2RetryMax() {
        return phase2RetryMax;
    }

    public void setPhase2RetryMax(Duration phase2RetryMax) {
        this.phase2RetryMax = phase2RetryMax;
    }

    public Log getLog() {
        return log;
    }

    public DataSources getDatasource() {
        return datasource;
    }

    public Locks getLocks() {
        return locks;
    }

    public Startup getStartup() {
        return startup;
    }

    public Shutdown getShutdown() {
        return shutdown;
    }

    public Health getHealth() {
        return health;
    }

    /** Which commit log: a local directory (default), the Paxos-replicated log or the database log. */
    public enum LogType {
        /** {@code quorumtx.log.directory} on this node's disk. */
        LOCAL,
        /** The Paxos-replicated log ({@code quorumtx.log.replicated.*}). */
        REPLICATED,
        /** Tables in the database of a DataSource bean ({@code quorumtx.log.database.*}); no local disk. */
        DATABASE
    }

    /** The commit log. */
    public static class Log {
        /** Which commit log: LOCAL (a directory), REPLICATED (Paxos members) or DATABASE (tables of a DataSource bean). */
        private LogType type = LogType.LOCAL;

        /** The local commit log's directory (locked by this process; created if missing). */
        private Path directory = Path.of("quorumtx-log");

        private final Replicated replicated = new Replicated();

        @NestedConfigurationProperty
        private final DatabaseLogProperties database = new DatabaseLogProperties();

        public LogType getType() {
            return type;
        }

        public void setType(LogType type) {
            this.type = type;
        }

        public Path getDirectory() {
            return directory;
        }

        public void setDirectory(Path directory) {
            this.directory = directory;
        }

        public Replicated getReplicated() {
            return replicated;
        }

        public DatabaseLogProperties getDatabase() {
            return database;
        }
    }

    /** The Paxos-replicated commit log (quorumtx.log.type=replicated). */
    public static class Replicated {
        /** This node's acceptor files. */
        private Path dataDirectory;

        /** Every member as nodeId=host:port, the same list on every node, an odd number. */
        private List<String> members = new ArrayList<>();

        /**
         * The environment variable that holds the cluster's shared secret (at least 16 bytes, the
         * same on every node). The secret itself is never logged.
         */
        private String secretEnv = "QUORUMTX_CLUSTER_SECRET";

        /**
         * The shared secret itself, when it comes from a property source (e.g. a secret store
         * bound to the environment) rather than {@code secret-env}. Never logged.
         */
        private String secret;

        /** BOOTSTRAP (a new cluster's first start), RESTART (every ordinary start) or REJOIN (lost disk). */
        private String startMode = "RESTART";

        /** An acceptor that has not answered by then counts as missing. */
        private Duration requestTimeout = Duration.ofSeconds(2);

        /** A commit without a majority by then is left in doubt. */
        private Duration commitTimeout = Duration.ofSeconds(10);

        /** A node not heard from by a majority for this long may be taken over. */
        private Duration lease = Duration.ofSeconds(3);

        /** A transaction must reach its commit decision within this time of its begin. */
        private Duration tombstoneRetention = Duration.ofMinutes(5);

        /** The most the members' wall clocks may differ. */
        private Duration clockSkewMargin = Duration.ofSeconds(30);

        public Path getDataDirectory() {
            return dataDirectory;
        }

        public void setDataDirectory(Path dataDirectory) {
            this.dataDirectory = dataDirectory;
        }

        public List<String> getMembers() {
            return members;
        }

        public void setMembers(List<String> members) {
            this.members = members;
        }

        public String getSecretEnv() {
            return secretEnv;
        }

        public void setSecretEnv(String secretEnv) {
            this.secretEnv = secretEnv;
        }

        public String getSecret() {
            return secret;
        }

        public void setSecret(String secret) {
            this.secret = secret;
        }

        public String getStartMode() {
            return startMode;
        }

        public void setStartMode(String startMode) {
            this.startMode = startMode;
        }

        public Duration getRequestTimeout() {
            return requestTimeout;
        }

        public void setRequestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
        }

        public Duration getCommitTimeout() {
            return commitTimeout;
        }

        public void setCommitTimeout(Duration commitTimeout) {
            this.commitTimeout = commitTimeout;
        }

        public Duration getLease() {
            return lease;
        }

        public void setLease(Duration lease) {
            this.lease = lease;
        }

        public Duration getTombstoneRetention() {
            return tombstoneRetention;
        }

        public void setTombstoneRetention(Duration tombstoneRetention) {
            this.tombstoneRetention = tombstoneRetention;
        }

        public Duration getClockSkewMargin() {
            return clockSkewMargin;
        }

        public void setClockSkewMargin(Duration clockSkewMargin) {
            this.clockSkewMargin = clockSkewMargin;
        }

        @Override
        public String toString() {
            return "Replicated[members=" + members + ", secretEnv=" + secretEnv + ", secret="
                    + (secret == null ? "none" : "(set)") + "]";
        }
    }

    /** Which DataSource beans are wrapped. */
    public static class DataSources {
        /** Whether DataSource beans are wrapped as TransactionalDataSources at all. */
        private boolean wrap = true;

        /** Names of DataSource beans to leave unwrapped (they never join QuorumTX transactions). */
        private List<String> exclude = new ArrayList<>();

        /**
         * The dialect per bean name (h2, postgresql, mysql, mariadb), for a DataSource whose JDBC
         * URL does not tell. Default: detected from the URL.
         */
        private Map<String, String> dialect = new LinkedHashMap<>();

        public boolean isWrap() {
            return wrap;
        }

        public void setWrap(boolean wrap) {
            this.wrap = wrap;
        }

        public List<String> getExclude() {
            return exclude;
        }

        public void setExclude(List<String> exclude) {
            this.exclude = exclude;
        }

        public Map<String, String> getDialect() {
            return dialect;
        }

        public void setDialect(Map<String, String> dialect) {
            this.dialect = dialect;
        }
    }

    /** The database lock service; created when {@code quorumtx.locks.datasource} is set. */
    public static class Locks {
        /** The DataSource bean whose database holds the lock table (its pool is used unwrapped). */
        private String datasource;

        /** The lock table. */
        private String table = "quorumtx_locks";

        /** Create the lock table if it does not exist. */
        private boolean createTable = true;

        /** The lease of acquire() and tryAcquire() without one. */
        private Duration lease = Duration.ofSeconds(30);

        /** Renew held leases every third of their length while held. */
        private boolean watchdog = true;

        public String getDatasource() {
            return datasource;
        }

        public void setDatasource(String datasource) {
            this.datasource = datasource;
        }

        public String getTable() {
            return table;
        }

        public void setTable(String table) {
            this.table = table;
        }

        public boolean isCreateTable() {
            return createTable;
        }

        public void setCreateTable(boolean createTable) {
            this.createTable = createTable;
        }

        public Duration getLease() {
            return lease;
        }

        public void setLease(Duration lease) {
            this.lease = lease;
        }

        public boolean isWatchdog() {
            return watchdog;
        }

        public void setWatchdog(boolean watchdog) {
            this.watchdog = watchdog;
        }
    }

    /** Start-up. */
    public static class Startup {
        /**
         * How long start-up waits for the first recovery pass over every wrapped database before it
         * goes on (with a warning); the application does not serve before that.
         */
        private Duration recoveryTimeout = Duration.ofMinutes(2);

        public Duration getRecoveryTimeout() {
            return recoveryTimeout;
        }

        public void setRecoveryTimeout(Duration recoveryTimeout) {
            this.recoveryTimeout = recoveryTimeout;
        }
    }

    /** Shutdown. */
    public static class Shutdown {
        /**
         * How long shutdown waits, after the web server has stopped, for running transactions and
         * pending phase-2 retries to finish before the manager closes (what is left goes to recovery).
         */
        private Duration timeout = Duration.ofSeconds(30);

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }

    /** The Actuator health indicator {@code quorumtx}. */
    public static class Health {
        /**
         * A branch in doubt for longer than this makes the health OUT_OF_SERVICE: recovery cannot
         * finish it on its own. Keep it well above the recovery safety interval.
         */
        private Duration inDoubtAge = Duration.ofMinutes(5);

        public Duration getInDoubtAge() {
            return inDoubtAge;
        }

        public void setInDoubtAge(Duration inDoubtAge) {
            this.inDoubtAge = inDoubtAge;
        }
    }
}
