package io.quorumtx.bench;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The two databases the server workloads ({@code postgres}, {@code mariadb}) use on each server:
 * {@code bench.databases=quorumtx_a,quorumtx_b} by default, the names {@code .ci/run} gives the
 * tests' databases. Another pair (e.g. {@code bench_fresh_a,bench_fresh_b}) keeps a run away from
 * them; {@link ServerSetup} creates whichever are missing.
 *
 * <p>The names go into {@code CREATE DATABASE} and JDBC URLs unquoted, so they are checked here:
 * lower-case letters, digits and underscores, starting with a letter or underscore, at most 63
 * characters (PostgreSQL's limit; MariaDB's is 64), which needs no quoting on either server.
 */
record DatabaseNames(String a, String b) {
    static final String PROPERTY = "bench.databases";
    // Before DEFAULT: static fields initialise in order, and DEFAULT's constructor uses it.
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    static final DatabaseNames DEFAULT = new DatabaseNames("quorumtx_a", "quorumtx_b");

    DatabaseNames {
        for (String name : List.of(a, b)) {
            if (!IDENTIFIER.matcher(name).matches()) {
                throw new IllegalArgumentException(PROPERTY + ": '" + name + "' is not a plain database name"
                        + " (lower-case letters, digits and _, starting with a letter or _, at most 63 characters)");
            }
        }
        if (a.equals(b)) {
            throw new IllegalArgumentException(PROPERTY + ": the two databases must differ, both were '" + a + "'");
        }
    }

    /** Parses {@code "first,second"}; blank means {@link #DEFAULT}. */
    static DatabaseNames parse(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT;
        }
        String[] parts = value.split(",", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException(PROPERTY + ": expected two names separated by a comma, was '"
                    + value + "'");
        }
        return new DatabaseNames(parts[0].trim(), parts[1].trim());
    }

    /** The name of database {@code "a"} or {@code "b"} of a cell. */
    String of(String db) {
        return switch (db) {
            case "a" -> a;
            case "b" -> b;
            default -> throw new IllegalArgumentException("database must be a or b, was " + db);
        };
    }

    List<String> both() {
        return List.of(a, b);
    }

    @Override
    public String toString() {
        return a + "," + b;
    }
}
