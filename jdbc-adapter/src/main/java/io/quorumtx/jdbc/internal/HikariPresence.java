package io.quorumtx.jdbc.internal;

import javax.sql.DataSource;

/**
 * Whether HikariCP, an optional dependency of jdbc-adapter, is on the class path; the gate in front
 * of {@link HikariSupport}. Refers to no HikariCP type, so it loads without HikariCP; every caller
 * asks it before calling {@code HikariSupport}, which needs HikariCP to load.
 */
public final class HikariPresence {

    /** The Maven coordinates named in the error when HikariCP is missing. */
    public static final String COORDINATES = "com.zaxxer:HikariCP";

    private static final boolean PRESENT = present(HikariPresence.class.getClassLoader());

    private HikariPresence() {
    }

    /** Whether HikariCP can be loaded by the class loader that loaded jdbc-adapter. */
    public static boolean present() {
        return PRESENT;
    }

    /** Whether {@code dataSource} is a HikariCP pool (false, without loading anything, when HikariCP is absent). */
    public static boolean isPool(DataSource dataSource) {
        return PRESENT && HikariSupport.isPool(dataSource);
    }

    static boolean present(ClassLoader loader) {
        try {
            Class.forName("com.zaxxer.hikari.HikariDataSource", false, loader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
