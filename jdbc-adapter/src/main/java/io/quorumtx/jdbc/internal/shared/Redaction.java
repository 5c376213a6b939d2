package io.quorumtx.jdbc.internal.shared;

import java.sql.Connection;
import java.util.regex.Pattern;

/** Makes JDBC URLs safe for messages and logs: a URL may carry a password. */
public final class Redaction {

    private static final Pattern PASSWORD = Pattern.compile("(?i)([^;&?:/]*password[^=]*=)[^;&]*");

    private Redaction() {
    }

    public static String url(String url) {
        return url == null ? "(unknown URL)" : PASSWORD.matcher(url).replaceAll("$1***");
    }

    /** The connection's URL, redacted; never fails, because it only decorates an error message. */
    public static String url(Connection connection) {
        try {
            return url(connection.getMetaData().getURL());
        } catch (Exception e) {
            return "(unknown URL)";
        }
    }
}
