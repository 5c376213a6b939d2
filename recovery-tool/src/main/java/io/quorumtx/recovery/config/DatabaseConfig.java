package io.quorumtx.recovery.config;

import java.util.Optional;

/**
 * One {@code database.<name>.*} block of the configuration.
 *
 * @param name the resource name the application's TransactionalDataSource registered
 * @param url the JDBC URL, possibly carrying credentials: show it only through {@link #maskedUrl()}
 * @param user the user name, empty for none
 * @param passwordEnv the environment variable that holds the password, if the file names one
 * @param dialect {@code h2}, {@code postgresql} or {@code mysql} when the database is reached through its SQL
 * @param xaDataSource the XADataSource class name when it is reached through the driver's XA
 * @param markerTable the table of three-phase-commit pre-commit markers (the application's
 *     {@code TransactionalDataSource.preCommitMarkerTable}, default {@code quorumtx_precommit})
 */
public record DatabaseConfig(String name, String url, String user, Optional<String> passwordEnv,
                             Optional<String> dialect, Optional<String> xaDataSource, String markerTable) {

    /** The URL with any password parameter replaced by {@code ***}, for messages and output. */
    public String maskedUrl() {
        return UrlMask.mask(url);
    }

    /** "database.&lt;name&gt;.&lt;suffix&gt;", for messages naming a key. */
    public String key(String suffix) {
        return "database." + name + "." + suffix;
    }
}
