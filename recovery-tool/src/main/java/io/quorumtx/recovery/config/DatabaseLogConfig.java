package io.quorumtx.recovery.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The database commit log ({@code log.type=database}): decisions kept as rows in a database the
 * application already has, read and settled by the tool over JDBC.
 *
 * <pre>
 * log.type=database
 * log.url=jdbc:postgresql://db:5432/app
 * log.user=app
 * log.password.env=APP_DB_PASSWORD        (optional; the password itself never goes into the file)
 * log.dialect=postgresql                  (h2 | postgresql | mysql | mariadb)
 * log.table-prefix=quorumtx_log           (optional; the application's DatabaseCommitLog tablePrefix)
 * </pre>
 *
 * <p>Nothing of the log lives on a node's disk, so {@code log.directory} and {@code node.id} do
 * not apply: the tool learns from the log's nodes table which owners still hold a lease.
 *
 * @param url the JDBC URL, possibly carrying credentials: show it only through {@link #maskedUrl()}
 * @param user the user name, empty for none
 * @param passwordEnv the environment variable that holds the password, if the file names one
 * @param dialect {@code h2}, {@code postgresql}, {@code mysql} or {@code mariadb}
 * @param tablePrefix the prefix of the log's four tables
 */
public record DatabaseLogConfig(String url, String user, Optional<String> passwordEnv, String dialect,
                                String tablePrefix) {

    public static final String TYPE = "log.type";
    public static final String URL = "log.url";
    public static final String USER = "log.user";
    public static final String PASSWORD_ENV = "log.password.env";
    public static final String DIALECT = "log.dialect";
    public static final String TABLE_PREFIX = "log.table-prefix";
    /** Every key of the section, for the unknown-key check and its suggestions. */
    static final List<String> KEYS = List.of(TYPE, URL, USER, PASSWORD_ENV, DIALECT, TABLE_PREFIX);
    /** The same rule as the log's own builder: the prefix becomes part of SQL identifiers. */
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,39}");

    /** The URL with any password parameter replaced by {@code ***}, for messages and output. */
    public String maskedUrl() {
        return UrlMask.mask(url);
    }

    /** The section in {@code values}, validated; empty when {@code log.type} is absent or {@code local}. */
    static Optional<DatabaseLogConfig> parse(Map<String, String> values, Path source) {
        String type = values.getOrDefault(TYPE, "").trim().toLowerCase(Locale.ROOT);
        if (type.isEmpty() || type.equals("local")) {
            for (String key : KEYS) {
                if (!key.equals(TYPE) && values.containsKey(key)) {
                    throw new ConfigException(key + " in " + source + " needs " + TYPE + "=database (the database"
                            + " commit log); the local log is configured with " + ToolConfig.LOG_DIRECTORY);
                }
            }
            return Optional.empty();
        }
        if (!type.equals("database")) {
            throw new ConfigException(TYPE + " in " + source + " is '" + values.get(TYPE) + "'; allowed values: local"
                    + " (with " + ToolConfig.LOG_DIRECTORY + "), database (with " + URL + " and " + DIALECT + ")");
        }
        for (String other : List.of(ToolConfig.LOG_DIRECTORY, ToolConfig.PAXOS_MEMBERS, ToolConfig.NODE_ID)) {
            if (values.containsKey(other)) {
                throw new ConfigException(source + " sets both " + TYPE + "=database and " + other + ": the database"
                        + " commit log keeps nothing on a node (no directory, no fixed node id); remove " + other);
            }
        }
        String url = values.getOrDefault(URL, "").trim();
        if (url.isEmpty()) {
            throw new ConfigException(URL + " is missing in " + source + ": the JDBC URL of the database that holds"
                    + " the commit log's tables");
        }
        if (!url.startsWith("jdbc:")) {
            throw new ConfigException(URL + " in " + source + " is not a JDBC URL (it must start with 'jdbc:'): "
                    + UrlMask.mask(url));
        }
        String dialect = values.getOrDefault(DIALECT, "").trim().toLowerCase(Locale.ROOT);
        if (!ToolConfig.DIALECTS.contains(dialect)) {
            throw new ConfigException(DIALECT + " in " + source + (dialect.isEmpty() ? " is missing" : " is '"
                    + values.get(DIALECT) + "'") + "; allowed values: " + String.join(", ", ToolConfig.DIALECTS));
        }
        Optional<String> passwordEnv = Optional.ofNullable(values.get(PASSWORD_ENV)).map(String::trim);
        if (passwordEnv.isPresent() && passwordEnv.get().isEmpty()) {
            throw new ConfigException(PASSWORD_ENV + " in " + source + " is empty: name the environment variable"
                    + " that holds the password, or remove the key");
        }
        String prefix = values.getOrDefault(TABLE_PREFIX, "quorumtx_log").trim();
        if (!PREFIX.matcher(prefix).matches()) {
            throw new ConfigException(TABLE_PREFIX + " in " + source + " is '" + prefix + "': use 1 to 40 characters"
                    + " of [A-Za-z0-9_], starting with a letter or _ (the application's DatabaseCommitLog tablePrefix)");
        }
        return Optional.of(new DatabaseLogConfig(url, values.getOrDefault(USER, "").trim(), passwordEnv, dialect,
                prefix));
    }
}
