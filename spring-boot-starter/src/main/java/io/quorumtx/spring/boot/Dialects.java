package io.quorumtx.spring.boot;

import io.quorumtx.jdbc.dialect.Dialect;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Finds the {@link Dialect} of an application's DataSource from its JDBC URL.
 *
 * <p>The URL is read without connecting where the pool tells it ({@code getJdbcUrl()} of HikariCP,
 * {@code getUrl()}/{@code getURL()} of Spring's and the drivers' DataSources), so a database that
 * is down at start-up does not stop the wrapping; only a DataSource that tells nothing is asked
 * through a connection's metadata. A configured name ({@code quorumtx.datasource.dialect.<bean>})
 * wins over detection.
 */
final class Dialects {
    private Dialects() {
    }

    /** The dialect named {@code name}: h2, postgresql, mysql or mariadb. */
    static Dialect named(String name, String beanName) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "h2" -> Dialect.h2();
            case "postgresql", "postgres" -> Dialect.postgresql();
            case "mysql", "mariadb" -> Dialect.mysql();
            default -> throw new IllegalArgumentException("quorumtx.datasource.dialect." + beanName + " is '" + name
                    + "': use h2, postgresql, mysql or mariadb");
        };
    }

    /** The dialect of a JDBC URL, if it is a database QuorumTX has one for. */
    static Optional<Dialect> fromUrl(String url) {
        if (url == null) {
            return Optional.empty();
        }
        String u = url.toLowerCase(Locale.ROOT);
        if (u.startsWith("jdbc:h2:")) {
            return Optional.of(Dialect.h2());
        }
        if (u.startsWith("jdbc:postgresql:")) {
            return Optional.of(Dialect.postgresql());
        }
        if (u.startsWith("jdbc:mysql:") || u.startsWith("jdbc:mariadb:")) {
            return Optional.of(Dialect.mysql());
        }
        return Optional.empty();
    }

    /** The dialect of {@code dataSource}, or an exception that says how to name one. */
    static Dialect detect(DataSource dataSource, String beanName) {
        String url = urlWithoutConnecting(dataSource);
        if (url == null) {
            try (Connection c = dataSource.getConnection()) {
                url = c.getMetaData().getURL();
            } catch (SQLException e) {
                throw new IllegalStateException("Cannot find the database of DataSource bean '" + beanName
                        + "' to choose its QuorumTX dialect: it names no JDBC URL and a connection failed (" + e.getMessage()
                        + "). Set quorumtx.datasource.dialect." + beanName + " (h2, postgresql, mysql, mariadb), or "
                        + "exclude it with quorumtx.datasource.exclude=" + beanName, e);
            }
        }
        String found = url;
        return fromUrl(url).orElseThrow(() -> new IllegalStateException("DataSource bean '" + beanName
                + "' has the JDBC URL " + redact(found) + ", for which QuorumTX has no dialect (H2, PostgreSQL, MySQL,"
                + " MariaDB). Set quorumtx.datasource.dialect." + beanName + ", or leave it out of QuorumTX "
                + "transactions with quorumtx.datasource.exclude=" + beanName));
    }

    private static String urlWithoutConnecting(DataSource dataSource) {
        for (String getter : new String[] {"getJdbcUrl", "getUrl", "getURL"}) {
            try {
                Method m = dataSource.getClass().getMethod(getter);
                if (m.getReturnType() == String.class) {
                    Object url = m.invoke(dataSource);
                    if (url instanceof String s && !s.isBlank()) {
                        return s;
                    }
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                // not this getter: try the next, then the connection's metadata
            }
        }
        return null;
    }

    /** The URL up to its parameters: they may hold a password. */
    private static String redact(String url) {
        int cut = url.length();
        for (char c : new char[] {'?', ';', '&'}) {
            int i = url.indexOf(c);
            if (i >= 0 && i < cut) {
                cut = i;
            }
        }
        return url.substring(0, cut) + (cut < url.length() ? "…" : "");
    }
}
