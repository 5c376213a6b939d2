package io.quorumtx.jdbc.internal.shared;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientException;
import java.sql.Statement;

/**
 * Refuses, at a DataSource's first enlistment, databases that cannot keep a two-phase commit's
 * promises, with a message that says what to change. Runs once per DataSource (after a pass it
 * is one volatile read), for both wrapping styles.
 *
 * <ul>
 *   <li>PostgreSQL with {@code max_prepared_transactions = 0} cannot prepare at all.</li>
 *   <li>An H2 file database with {@code WRITE_DELAY > 0} acknowledges commits before they are on
 *       disk: measured with H2 2.4.240, a branch committed in one phase was gone after the process
 *       died under the default of 500 ms. In-memory H2 has no durability to lose and passes.</li>
 * </ul>
 */
public final class DatabaseChecks {

    private final String resourceName;
    private final boolean allowNonDurableH2;
    private volatile boolean passed;

    public DatabaseChecks(String resourceName, boolean allowNonDurableH2) {
        this.resourceName = resourceName;
        this.allowNonDurableH2 = allowNonDurableH2;
    }

    public void verifyOnce(Connection connection) throws SQLException {
        if (passed) {
            return;
        }
        DatabaseMetaData metaData = connection.getMetaData();
        String product = String.valueOf(metaData.getDatabaseProductName());
        String url = metaData.getURL();
        if (product.equalsIgnoreCase("H2")) {
            verifyH2(connection, url);
        } else if (product.equalsIgnoreCase("PostgreSQL")) {
            verifyPostgreSql(connection, url);
        }
        passed = true;
    }

    private void verifyH2(Connection connection, String url) throws SQLException {
        if (url == null || url.contains(":mem:") || allowNonDurableH2) {
            return;
        }
        int writeDelay = Integer.parseInt(singleValue(connection,
                "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'WRITE_DELAY'", "0"));
        if (writeDelay > 0) {
            throw new SQLNonTransientException("H2 database at " + Redaction.url(url) + " has WRITE_DELAY = " + writeDelay
                    + ": it acknowledges commits up to " + writeDelay + " ms before they reach the disk, so a committed"
                    + " transaction is lost if the process dies. Add ;WRITE_DELAY=0 to the JDBC URL, or accept the risk"
                    + " with allowNonDurableH2() on the builder of TransactionalDataSource '" + resourceName + "'");
        }
    }

    private static void verifyPostgreSql(Connection connection, String url) throws SQLException {
        int max = Integer.parseInt(singleValue(connection, "SHOW max_prepared_transactions", "0"));
        if (max == 0) {
            throw new SQLNonTransientException(preparedTransactionsDisabled(Redaction.url(url)), "55000");
        }
    }

    /** The error every QuorumTX path reports for {@code max_prepared_transactions = 0}. */
    public static String preparedTransactionsDisabled(String url) {
        return "PostgreSQL at " + url + " has max_prepared_transactions = 0, which disables two-phase commit;"
                + " set it above 0 (e.g. ALTER SYSTEM SET max_prepared_transactions = 64) and restart PostgreSQL";
    }

    private static String singleValue(Connection connection, String sql, String absent) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getString(1).trim() : absent;
        }
    }
}
