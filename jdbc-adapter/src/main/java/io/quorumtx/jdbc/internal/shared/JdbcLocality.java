package io.quorumtx.jdbc.internal.shared;

import java.sql.Connection;
import java.util.Locale;

/**
 * Whether a JDBC URL names a database that runs inside this JVM (embedded) rather than a server,
 * which decides {@code BranchExecution.AUTO} (see {@link io.quorumtx.tm.spi.ResourceLocality}).
 *
 * <p>The rule, from the URL's prefix: H2 is embedded unless the URL is {@code jdbc:h2:tcp:} or
 * {@code jdbc:h2:ssl:} (so {@code mem:}, {@code file:}, a bare path, {@code zip:}; with
 * {@code AUTO_SERVER=TRUE} the first process embeds it, so it counts as embedded); HSQLDB is
 * embedded for {@code mem:}, {@code file:} and {@code res:}; Derby unless {@code jdbc:derby://}.
 * Anything else (PostgreSQL, MariaDB, MySQL, Oracle, SQL Server, ...) and an unknown URL is a
 * server: misjudging an embedded database costs a thread hop, misjudging a server the overlap.
 */
public final class JdbcLocality {
    private JdbcLocality() {
    }

    /** True for an embedded database's URL (see the class comment); false for a server or null. */
    public static boolean inProcess(String url) {
        if (url == null) {
            return false;
        }
        String u = url.toLowerCase(Locale.ROOT);
        if (u.startsWith("jdbc:h2:")) {
            String rest = u.substring("jdbc:h2:".length());
            return !rest.startsWith("tcp:") && !rest.startsWith("ssl:");
        }
        if (u.startsWith("jdbc:hsqldb:")) {
            String rest = u.substring("jdbc:hsqldb:".length());
            return rest.startsWith("mem:") || rest.startsWith("file:") || rest.startsWith("res:");
        }
        if (u.startsWith("jdbc:derby:")) {
            return !u.startsWith("jdbc:derby://");
        }
        return false;
    }

    /** {@link #inProcess(String)} of the connection's URL; false (a server) when it cannot be read. */
    public static boolean inProcess(Connection connection) {
        try {
            return inProcess(connection.getMetaData().getURL());
        } catch (Exception e) {
            return false;
        }
    }
}
