package io.quorumtx.recovery.config;

import io.quorumtx.tm.xid.NodeIds;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import io.quorumtx.tm.paxos.ClusterConfig;
import io.quorumtx.tm.paxos.TlsSettings;
import java.util.stream.Stream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The recovery tool's configuration: a Java properties file naming the commit log and every
 * database whose in-doubt branches the tool may finish.
 *
 * <pre>
 * log.directory=/var/lib/app/txlog
 * node.id=node-1                                      (optional; must match the log's node-id file)
 * recovery.safety-interval=0s                         (optional; see below)
 * database.bank-a.url=jdbc:h2:file:/var/lib/app/bank-a;WRITE_DELAY=0
 * database.bank-a.user=sa
 * database.bank-a.password.env=BANK_A_PASSWORD
 * database.bank-a.dialect=h2                          (h2 | postgresql | mysql | mariadb)
 * database.bank-b.xa-data-source=org.h2.jdbcx.JdbcDataSource   (instead of dialect)
 * </pre>
 *
 * <p>With the Paxos-replicated log, instead of {@code log.directory}:
 * <pre>
 * paxos.members=n1=10.0.0.1:7801,n2=10.0.0.2:7801,n3=10.0.0.3:7801
 * paxos.secret.env=QUORUMTX_CLUSTER_SECRET          (ask the running nodes' acceptors over the network)
 * paxos.secret.previous.env=QUORUMTX_OLD_SECRET      (optional, during a secret rotation: also try this one)
 * paxos.secret.next.env=QUORUMTX_NEW_SECRET          (optional, during a secret rotation: also try this one)
 * paxos.acceptor.directories=/backup/n1,/backup/n2  (or: read stopped nodes' acceptor directories offline)
 * paxos.lease=3s                                     (optional; the nodes' lease, default 3s)
 * paxos.tombstone.retention=5m                       (offline: required, the nodes' tombstoneRetention)
 * paxos.clock.skew.margin=30s                        (optional; the nodes' clockSkewMargin, default 30s)
 * </pre>
 *
 * <p>With the database commit log, instead of {@code log.directory}: {@code log.type=database},
 * {@code log.url}, {@code log.user}, {@code log.password.env}, {@code log.dialect} and
 * {@code log.table-prefix} (see {@link DatabaseLogConfig}).
 *
 * <p>Offline the tool runs the stopped members' acceptors itself, so it must apply the cluster's
 * forgetting rules: with a shorter retention it would drop tombstones the cluster keeps, and
 * report instances past its horizon that the cluster still decides. It has no way to know the
 * value, so offline use without {@code paxos.tombstone.retention} is refused.
 *
 * <p>A cluster running TLS instead of a shared secret (instead of {@code paxos.secret.env}):
 * <pre>
 * paxos.tls.keystore=/etc/quorumtx/tool.p12               (the tool's own key and certificate, CN=quorumtx-tool-...)
 * paxos.tls.keystore.type=pkcs12                          (pkcs12, the default, or pem)
 * paxos.tls.keystore.password.env=QUORUMTX_TOOL_KEYSTORE_PASSWORD   (pkcs12 only)
 * paxos.tls.truststore=/etc/quorumtx/cluster-ca.pem       (the cluster's CA)
 * paxos.tls.truststore.type=pem
 * paxos.tls.truststore.password.env=...                   (pkcs12 only)
 * </pre>
 *
 * <p>Why so strict: a typo in a recovery configuration is not harmless. A misspelt key silently
 * ignored could mean a database that is never scanned, and its branches left locked. So every key
 * must be known; an unknown one is refused with the nearest valid key as a suggestion, and a
 * password written into the file is refused outright (passwords come from the environment).
 *
 * <p>{@code recovery.safety-interval} is how old an undecided branch of the log's own node must
 * be before the tool rolls it back. The tool only resolves while it holds the log's lock, which
 * proves that node is not running and can decide nothing more, so the default is 0.
 */
public record ToolConfig(Path source, Optional<Path> logDirectory, Optional<String> nodeId, Duration safetyInterval,
                         List<DatabaseConfig> databases, Optional<PaxosSettings> paxos,
                         List<ParticipantConfig> participants, Optional<DatabaseLogConfig> databaseLog) {

    /**
     * A three-phase-commit participant that is not a database ({@code participant.<name>.class}):
     * a {@code ThreePhaseParticipant} class with a public constructor taking its name and its
     * settings (every other {@code participant.<name>.<key>}).
     */
    public record ParticipantConfig(String name, String className, Map<String, String> settings) {
        public ParticipantConfig {
            settings = Map.copyOf(settings);
        }
    }

    /**
     * The replicated log instead of {@code log.directory}: its members, the environment variable
     * holding the shared secret (to reach running nodes over the network), or the acceptor data
     * directories of stopped nodes (offline), the lease the nodes use, and their tombstone
     * retention and clock-skew margin (the acceptor's forgetting rules, needed offline).
     */
    public record PaxosSettings(List<String> members, Optional<String> secretEnv, List<Path> acceptorDirectories,
                                Duration lease, Optional<Duration> tombstoneRetention, Duration clockSkewMargin,
                                List<String> rotationSecretEnvs, Optional<TlsFiles> tls) {
        public PaxosSettings {
            members = List.copyOf(members);
            acceptorDirectories = List.copyOf(acceptorDirectories);
            rotationSecretEnvs = List.copyOf(rotationSecretEnvs);
        }

        public PaxosSettings(List<String> members, Optional<String> secretEnv, List<Path> acceptorDirectories,
                             Duration lease) {
            this(members, secretEnv, acceptorDirectories, lease, List.of());
        }

        /** Without TLS: a shared secret (and rotation secrets) or acceptor directories. */
        public PaxosSettings(List<String> members, Optional<String> secretEnv, List<Path> acceptorDirectories,
                             Duration lease, List<String> rotationSecretEnvs) {
            this(members, secretEnv, acceptorDirectories, lease, rotationSecretEnvs, Optional.empty());
        }

        /** Without TLS, with the forgetting rules (needed offline). */
        public PaxosSettings(List<String> members, Optional<String> secretEnv, List<Path> acceptorDirectories,
                             Duration lease, Optional<Duration> tombstoneRetention, Duration clockSkewMargin,
                             List<String> rotationSecretEnvs) {
            this(members, secretEnv, acceptorDirectories, lease, tombstoneRetention, clockSkewMargin,
                    rotationSecretEnvs, Optional.empty());
        }

        /** Default forgetting rules (no retention configured, 30 s clock-skew margin). */
        public PaxosSettings(List<String> members, Optional<String> secretEnv, List<Path> acceptorDirectories,
                             Duration lease, List<String> rotationSecretEnvs, Optional<TlsFiles> tls) {
            this(members, secretEnv, acceptorDirectories, lease, Optional.empty(), Duration.ofSeconds(30),
                    rotationSecretEnvs, tls);
        }

        public boolean offline() {
            return !acceptorDirectories.isEmpty();
        }
    }

    /**
     * The tool's TLS stores ({@code paxos.tls.*}): its own key and certificate, the cluster's CA,
     * and the environment variables holding the PKCS12 passwords (never the passwords themselves).
     */
    public record TlsFiles(Path keyStore, TlsSettings.StoreType keyStoreType, Optional<String> keyStorePasswordEnv,
                           Path trustStore, TlsSettings.StoreType trustStoreType,
                           Optional<String> trustStorePasswordEnv) {
    }

    public static final String PAXOS_TLS_KEYSTORE = "paxos.tls.keystore";
    public static final String PAXOS_TLS_TRUSTSTORE = "paxos.tls.truststore";
    private static final List<String> TLS_KEYS = List.of(PAXOS_TLS_KEYSTORE, PAXOS_TLS_KEYSTORE + ".type",
            PAXOS_TLS_KEYSTORE + ".password.env", PAXOS_TLS_TRUSTSTORE, PAXOS_TLS_TRUSTSTORE + ".type",
            PAXOS_TLS_TRUSTSTORE + ".password.env");

    public static final String PAXOS_MEMBERS = "paxos.members";
    public static final String PAXOS_SECRET_ENV = "paxos.secret.env";
    /** During a rotation: the variable holding the previous secret, tried when a member refuses the current one. */
    public static final String PAXOS_SECRET_PREVIOUS_ENV = "paxos.secret.previous.env";
    /** During a rotation: the variable holding the next secret, tried when a member refuses the current one. */
    public static final String PAXOS_SECRET_NEXT_ENV = "paxos.secret.next.env";
    public static final String PAXOS_DIRECTORIES = "paxos.acceptor.directories";
    public static final String PAXOS_LEASE = "paxos.lease";
    public static final String PAXOS_TOMBSTONE_RETENTION = "paxos.tombstone.retention";
    public static final String PAXOS_CLOCK_SKEW_MARGIN = "paxos.clock.skew.margin";

    public static final String LOG_DIRECTORY = "log.directory";
    public static final String NODE_ID = "node.id";
    public static final String SAFETY_INTERVAL = "recovery.safety-interval";
    private static final List<String> GLOBAL_KEYS = Stream.concat(Stream.of(LOG_DIRECTORY, NODE_ID, SAFETY_INTERVAL,
            "paxos.members", "paxos.secret.env", PAXOS_SECRET_PREVIOUS_ENV, PAXOS_SECRET_NEXT_ENV,
            "paxos.acceptor.directories", "paxos.lease", PAXOS_TOMBSTONE_RETENTION, PAXOS_CLOCK_SKEW_MARGIN),
            Stream.concat(TLS_KEYS.stream(), DatabaseLogConfig.KEYS.stream())).toList();
    /** Longest first: "password.env" must win over a name that ends in ".password". */
    private static final List<String> DATABASE_KEYS = List.of("xa-data-source", "password.env", "marker-table", "dialect",
            "user", "url");
    private static final Pattern MARKER_TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    private static final Pattern PARTICIPANT_KEY = Pattern.compile("participant\\.([A-Za-z0-9_-]{1,48})\\.(.+)");
    static final List<String> DIALECTS = List.of("h2", "postgresql", "mysql", "mariadb");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");
    /** The longest duration accepted (100 years): any longer one overflows the nanosecond clocks it is used with. */
    static final Duration MAX_DURATION = Duration.ofDays(36_500);

    public ToolConfig {
        databases = List.copyOf(databases);
        participants = List.copyOf(participants);
    }

    /** Reads and validates {@code file}; every problem is a {@link ConfigException} naming the key. */
    public static ToolConfig load(Path file) {
        Path path = file.toAbsolutePath().normalize();
        if (!Files.isRegularFile(path)) {
            throw new ConfigException("Configuration file " + path + (Files.exists(path) ? " is not a regular file"
                    : " does not exist") + "; pass the recovery configuration with --config FILE");
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("Cannot read configuration file " + path + ": " + e.getMessage(), e);
        }
        return parse(properties, path);
    }

    /** Validates properties already read; {@code source} only names the file in messages. */
    public static ToolConfig parse(Properties properties, Path source) {
        Map<String, String> values = new TreeMap<>();
        for (String key : properties.stringPropertyNames()) {
            values.put(key.trim(), properties.getProperty(key).trim());
        }
        Map<String, Map<String, String>> databases = new LinkedHashMap<>();
        Map<String, Map<String, String>> participantKeys = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (var e : values.entrySet()) {
            String key = e.getKey();
            if (GLOBAL_KEYS.contains(key)) {
                continue;
            }
            java.util.regex.Matcher participant = PARTICIPANT_KEY.matcher(key);
            if (participant.matches()) {
                participantKeys.computeIfAbsent(participant.group(1), n -> new TreeMap<>())
                        .put(participant.group(2), e.getValue());
                continue;
            }
            String suffix = databaseSuffix(key);
            if (suffix == null) {
                unknown.add(key);
                continue;
            }
            String name = key.substring("database.".length(), key.length() - suffix.length() - 1);
            if (!NodeIds.isValidResourceName(name)) {
                throw new ConfigException("Database name '" + name + "' in key '" + key + "' of " + source
                        + " is invalid: use 1 to " + NodeIds.MAX_RESOURCE_NAME_LENGTH + " characters of"
                        + " [A-Za-z0-9_.-], the name the application's TransactionalDataSource uses");
            }
            databases.computeIfAbsent(name, n -> new TreeMap<>()).put(suffix, e.getValue());
        }
        if (!unknown.isEmpty()) {
            throw unknownKey(unknown.get(0), databases.keySet(), source);
        }
        List<DatabaseConfig> parsed = new ArrayList<>();
        for (var db : databases.entrySet()) {
            parsed.add(database(db.getKey(), db.getValue(), source));
        }
        Optional<DatabaseLogConfig> databaseLog = DatabaseLogConfig.parse(values, source);
        Optional<PaxosSettings> paxos = paxos(values, source);
        if (paxos.isPresent() && values.containsKey(LOG_DIRECTORY)) {
            throw new ConfigException(source + " sets both " + LOG_DIRECTORY + " (a local commit log) and "
                    + PAXOS_MEMBERS + " (the replicated log): set the one the application uses");
        }
        List<ParticipantConfig> participants = new ArrayList<>();
        for (var p : participantKeys.entrySet()) {
            Map<String, String> settings = new TreeMap<>(p.getValue());
            String className = settings.remove("class");
            if (className == null || className.isEmpty()) {
                throw new ConfigException("participant." + p.getKey() + ".class is missing in " + source + ": name the"
                        + " ThreePhaseParticipant class of participant '" + p.getKey() + "'");
            }
            if (databases.containsKey(p.getKey())) {
                throw new ConfigException("'" + p.getKey() + "' in " + source + " is both a database and a participant;"
                        + " each resource name is one resource");
            }
            participants.add(new ParticipantConfig(p.getKey(), className, settings));
        }
        return new ToolConfig(source, logDirectory(values.get(LOG_DIRECTORY), source), nodeId(values.get(NODE_ID), source),
                duration(SAFETY_INTERVAL, values.get(SAFETY_INTERVAL), source, Duration.ZERO), parsed, paxos,
                participants, databaseLog);
    }

    private static Optional<PaxosSettings> paxos(Map<String, String> values, Path source) {
        Optional<String> members = nonEmpty(values.get(PAXOS_MEMBERS));
        if (members.isEmpty()) {
            for (String key : Stream.concat(Stream.of(PAXOS_SECRET_ENV, PAXOS_SECRET_PREVIOUS_ENV, PAXOS_SECRET_NEXT_ENV,
                    PAXOS_DIRECTORIES, PAXOS_LEASE, PAXOS_TOMBSTONE_RETENTION, PAXOS_CLOCK_SKEW_MARGIN),
                    TLS_KEYS.stream()).toList()) {
                if (values.containsKey(key)) {
                    throw new ConfigException(key + " in " + source + " needs " + PAXOS_MEMBERS
                            + " (the replicated log's members as nodeId=host:port, comma-separated)");
                }
            }
            return Optional.empty();
        }
        List<String> list = List.of(members.get().split("\\s*,\\s*"));
        try {
            ClusterConfig.parseMembers(list);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(PAXOS_MEMBERS + " in " + source + ": " + e.getMessage());
        }
        List<Path> dirs = new ArrayList<>();
        for (String d : nonEmpty(values.get(PAXOS_DIRECTORIES)).map(v -> List.of(v.split("\\s*,\\s*"))).orElse(List.of())) {
            dirs.add(path(PAXOS_DIRECTORIES, d, source));
        }
        Optional<String> secretEnv = nonEmpty(values.get(PAXOS_SECRET_ENV));
        Optional<TlsFiles> tls = tls(values, source);
        if (secretEnv.isPresent() && tls.isPresent()) {
            throw new ConfigException(source + " sets both " + PAXOS_SECRET_ENV + " and " + PAXOS_TLS_KEYSTORE + ": set"
                    + " the one the cluster uses (a cluster runs either the shared secret or TLS)");
        }
        if (dirs.isEmpty() && secretEnv.isEmpty() && tls.isEmpty()) {
            throw new ConfigException(source + " configures the replicated log but neither " + PAXOS_SECRET_ENV
                    + " (the environment variable holding the shared secret, to ask the running nodes), nor "
                    + PAXOS_TLS_KEYSTORE + " and " + PAXOS_TLS_TRUSTSTORE + " (to ask them over TLS), nor "
                    + PAXOS_DIRECTORIES + " (the acceptor directories of stopped nodes, read offline)");
        }
        List<String> rotation = new ArrayList<>();
        for (String key : List.of(PAXOS_SECRET_PREVIOUS_ENV, PAXOS_SECRET_NEXT_ENV)) {
            Optional<String> variable = nonEmpty(values.get(key));
            if (variable.isPresent() && secretEnv.isEmpty()) {
                throw new ConfigException(key + " in " + source + " needs " + PAXOS_SECRET_ENV
                        + " (the current secret; " + key + " is only tried when a member refuses it)");
            }
            variable.ifPresent(rotation::add);
        }
        Duration lease = duration(PAXOS_LEASE, values.get(PAXOS_LEASE), source, Duration.ofSeconds(3));
        Optional<Duration> retention = values.containsKey(PAXOS_TOMBSTONE_RETENTION)
                ? Optional.of(duration(PAXOS_TOMBSTONE_RETENTION, values.get(PAXOS_TOMBSTONE_RETENTION), source,
                        Duration.ZERO)) : Optional.empty();
        if (retention.isPresent() && (retention.get().isZero() || retention.get().isNegative())) {
            throw new ConfigException(PAXOS_TOMBSTONE_RETENTION + " in " + source + " must be positive: set the"
                    + " tombstoneRetention the nodes use (default 5m)");
        }
        Duration margin = duration(PAXOS_CLOCK_SKEW_MARGIN, values.get(PAXOS_CLOCK_SKEW_MARGIN), source,
                Duration.ofSeconds(30));
        return Optional.of(new PaxosSettings(list, secretEnv, dirs, lease, retention, margin, rotation, tls));
    }

    private static Optional<TlsFiles> tls(Map<String, String> values, Path source) {
        if (TLS_KEYS.stream().noneMatch(values::containsKey)) {
            return Optional.empty();
        }
        for (String key : List.of(PAXOS_TLS_KEYSTORE, PAXOS_TLS_TRUSTSTORE)) {
            if (nonEmpty(values.get(key)).isEmpty()) {
                throw new ConfigException(key + " is missing in " + source + ": TLS needs " + PAXOS_TLS_KEYSTORE
                        + " (the tool's key and certificate) and " + PAXOS_TLS_TRUSTSTORE + " (the cluster's CA)");
            }
        }
        return Optional.of(new TlsFiles(path(PAXOS_TLS_KEYSTORE, values.get(PAXOS_TLS_KEYSTORE), source),
                storeType(PAXOS_TLS_KEYSTORE, values, source), passwordEnv(PAXOS_TLS_KEYSTORE, values, source),
                path(PAXOS_TLS_TRUSTSTORE, values.get(PAXOS_TLS_TRUSTSTORE), source), storeType(PAXOS_TLS_TRUSTSTORE, values, source),
                passwordEnv(PAXOS_TLS_TRUSTSTORE, values, source)));
    }

    private static TlsSettings.StoreType storeType(String store, Map<String, String> values, Path source) {
        Optional<String> type = nonEmpty(values.get(store + ".type"));
        if (type.isEmpty()) {
            return TlsSettings.StoreType.PKCS12;
        }
        try {
            return TlsSettings.StoreType.parse(type.get());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(store + ".type in " + source + " is '" + type.get() + "'; allowed values: pkcs12,"
                    + " pem");
        }
    }

    private static Optional<String> passwordEnv(String store, Map<String, String> values, Path source) {
        Optional<String> env = nonEmpty(values.get(store + ".password.env"));
        boolean pkcs12 = storeType(store, values, source) == TlsSettings.StoreType.PKCS12;
        if (pkcs12 && env.isEmpty()) {
            throw new ConfigException(store + ".password.env is missing in " + source + ": name the environment"
                    + " variable holding the PKCS12 " + store.substring("paxos.tls.".length()) + "'s password");
        }
        if (!pkcs12 && env.isPresent()) {
            throw new ConfigException(store + ".password.env in " + source + " is set but " + store + " is PEM, which"
                    + " takes no password (an unencrypted PKCS#8 key; protect the file, or use pkcs12)");
        }
        return env;
    }

    /**
     * The path {@code value} of {@code key}, relative to the configuration file's directory, normalized;
     * a value that is no path on this system (a NUL character, say) is refused naming the key.
     */
    private static Path path(String key, String value, Path source) {
        Path path;
        try {
            path = Path.of(value.trim());
        } catch (InvalidPathException e) {
            throw new ConfigException(key + " in " + source + " is not a valid path ('" + printable(value) + "'): "
                    + e.getReason());
        }
        if (!path.isAbsolute() && source.getParent() != null) {
            path = source.getParent().resolve(path); // relative to the file, not to wherever the tool runs
        }
        return path.normalize();
    }

    /** {@code text} with control characters shown as {@code \\uXXXX}, for a message. */
    private static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.chars().forEach(c -> out.append(Character.isISOControl(c) ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return out.toString();
    }

    /** The log directory, which must be set and exist. */
    public Path requireLogDirectory() {
        if (databaseLog.isPresent()) {
            throw new ConfigException(source + " configures the database commit log (" + DatabaseLogConfig.TYPE
                    + "=database), which has no directory: scan and resolve read it from its database");
        }
        Path dir = logDirectory.orElseThrow(() -> new ConfigException(LOG_DIRECTORY + " is missing in " + source
                + ": set it to the commit log directory of the node whose transactions to recover"));
        if (!Files.isDirectory(dir)) {
            throw new ConfigException(LOG_DIRECTORY + "=" + dir + " in " + source + (Files.exists(dir)
                    ? " is not a directory" : " does not exist") + "; point it at the transaction manager's log directory");
        }
        return dir;
    }

    /** The databases, of which there must be at least one. */
    public List<DatabaseConfig> requireDatabases() {
        if (databases.isEmpty()) {
            throw new ConfigException("No database is configured in " + source + ": add database.<name>.url and"
                    + " database.<name>.dialect (or database.<name>.xa-data-source) for each database the"
                    + " application enlists, under the name its TransactionalDataSource uses");
        }
        return databases;
    }

    private static String databaseSuffix(String key) {
        if (!key.startsWith("database.")) {
            return null;
        }
        for (String suffix : DATABASE_KEYS) {
            if (key.endsWith("." + suffix) && key.length() > "database.".length() + suffix.length() + 1) {
                return suffix;
            }
        }
        return null;
    }

    private static ConfigException unknownKey(String key, Set<String> names, Path source) {
        if ((key.startsWith("database.") || key.startsWith("paxos.tls.") || key.startsWith("log."))
                && (key.endsWith(".password") || key.endsWith(".pass"))) {
            return new ConfigException("Key '" + key + "' in " + source + " would put a password in the file, which"
                    + " the tool refuses: store the password in an environment variable and name that variable with '"
                    + key.substring(0, key.lastIndexOf('.')) + ".password.env'");
        }
        Set<String> candidates = new LinkedHashSet<>(GLOBAL_KEYS);
        Set<String> dbNames = new LinkedHashSet<>(names);
        int lastDot = key.lastIndexOf('.');
        if (key.startsWith("database.") && lastDot > "database.".length()) {
            dbNames.add(key.substring("database.".length(), lastDot));
        }
        for (String name : dbNames) {
            for (String suffix : DATABASE_KEYS) {
                candidates.add("database." + name + "." + suffix);
            }
        }
        String hint = Suggestions.nearest(key, candidates).map(s -> "; did you mean '" + s + "'?").orElse(".");
        return new ConfigException("Unknown key '" + key + "' in " + source + hint + " Valid keys: "
                + String.join(", ", GLOBAL_KEYS) + ", database.<name>.url|user|password.env|dialect|xa-data-source|marker-table, participant.<name>.class");
    }

    private static DatabaseConfig database(String name, Map<String, String> keys, Path source) {
        String prefix = "database." + name + ".";
        String url = keys.getOrDefault("url", "");
        if (url.isEmpty()) {
            throw new ConfigException(prefix + "url is missing in " + source + ": every database needs the JDBC URL"
                    + " of the database the application enlists as '" + name + "'");
        }
        if (!url.startsWith("jdbc:")) {
            throw new ConfigException(prefix + "url in " + source + " is not a JDBC URL (it must start with 'jdbc:'): "
                    + UrlMask.mask(url));
        }
        Optional<String> dialect = nonEmpty(keys.get("dialect")).map(d -> d.toLowerCase(Locale.ROOT));
        Optional<String> xa = nonEmpty(keys.get("xa-data-source"));
        if (dialect.isPresent() && xa.isPresent()) {
            throw new ConfigException("Database '" + name + "' in " + source + " sets both " + prefix + "dialect and "
                    + prefix + "xa-data-source: set exactly one (the dialect for the database's own SQL, or the"
                    + " driver's XADataSource class)");
        }
        if (dialect.isEmpty() && xa.isEmpty()) {
            throw new ConfigException("Database '" + name + "' in " + source + " needs " + prefix + "dialect (one of "
                    + String.join(", ", DIALECTS) + ") or " + prefix + "xa-data-source (an XADataSource class name)");
        }
        if (dialect.isPresent() && !DIALECTS.contains(dialect.get())) {
            throw new ConfigException(prefix + "dialect in " + source + " is '" + keys.get("dialect")
                    + "'; allowed values: " + String.join(", ", DIALECTS));
        }
        Optional<String> passwordEnv = nonEmpty(keys.get("password.env"));
        if (keys.containsKey("password.env") && passwordEnv.isEmpty()) {
            throw new ConfigException(prefix + "password.env in " + source + " is empty: name the environment variable"
                    + " that holds the password, or remove the key");
        }
        String markerTable = keys.getOrDefault("marker-table", "quorumtx_precommit");
        if (!MARKER_TABLE.matcher(markerTable).matches()) {
            throw new ConfigException(prefix + "marker-table in " + source + " is '" + markerTable + "': use 1 to 63"
                    + " characters of [A-Za-z0-9_], starting with a letter or _ (the application's preCommitMarkerTable)");
        }
        return new DatabaseConfig(name, url, keys.getOrDefault("user", ""), passwordEnv, dialect, xa, markerTable);
    }

    private static Optional<Path> logDirectory(String value, Path source) {
        return nonEmpty(value).map(v -> path(LOG_DIRECTORY, v, source));
    }

    private static Optional<String> nodeId(String value, Path source) {
        Optional<String> id = nonEmpty(value);
        if (id.isPresent() && !NodeIds.isValid(id.get())) {
            throw new ConfigException(NODE_ID + " in " + source + " is '" + id.get() + "': a node id is 1 to "
                    + NodeIds.MAX_LENGTH + " characters of [A-Za-z0-9_-]");
        }
        return id;
    }

    private static Duration duration(String key, String value, Path source, Duration absent) {
        Optional<String> text = nonEmpty(value);
        if (text.isEmpty()) {
            return absent;
        }
        Matcher m = DURATION.matcher(text.get());
        Duration d = null;
        if (m.matches()) {
            String unit = m.group(2) == null ? "s" : m.group(2);
            try {
                long n = Long.parseLong(m.group(1));
                d = switch (unit) {
                    case "ms" -> Duration.ofMillis(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofSeconds(n);
                };
            } catch (NumberFormatException | ArithmeticException e) {
                throw tooLarge(key, text.get(), source);
            }
        } else {
            try {
                d = Duration.parse(text.get());
            } catch (DateTimeParseException ignored) {
                // the message below (Duration.parse reports an overflow this way too)
            }
        }
        if (d != null && d.compareTo(MAX_DURATION) > 0) {
            throw tooLarge(key, text.get(), source);
        }
        if (d != null && !d.isNegative()) {
            return d;
        }
        throw new ConfigException(key + " in " + source + " is '" + text.get() + "': use a duration such as"
                + " 0s, 500ms, 30s, 5m or 1h");
    }

    private static ConfigException tooLarge(String key, String text, Path source) {
        return new ConfigException(key + " in " + source + " is '" + text + "', too large: at most "
                + MAX_DURATION.toDays() + " days (use a duration such as 0s, 500ms, 30s, 5m or 1h)");
    }

    private static Optional<String> nonEmpty(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }
}
