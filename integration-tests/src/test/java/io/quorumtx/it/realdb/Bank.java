package io.quorumtx.it.realdb;

import java.sql.SQLException;
import java.util.List;
import java.util.Set;

import javax.sql.DataSource;
import javax.sql.XADataSource;

import io.quorumtx.jdbc.dialect.Dialect;

/**
 * One bank database of an end-to-end test: a table of {@code (id, balance, ops)} rows in an H2
 * file, a PostgreSQL or a MariaDB database, the two ways to reach it (its driver's XADataSource and
 * a plain DataSource for a HikariCP pool plus {@link #dialect()}), and reads that go around the
 * transaction manager, so what a test asserts is what the database really kept.
 *
 * <p>A server bank also keeps a journal: one row per transfer, keyed by its gtrid, written inside
 * the transfer. Balances say whether money was conserved; the journals of two banks say exactly
 * which transfers each database kept, so a transfer kept in one database only is named.
 */
public interface Bank {
    long INITIAL_BALANCE = 1_000L;

    /** The resource name the bank is registered under. */
    String name();

    /** The table holding the accounts (unique per test on a shared server). */
    String table();

    int accounts();

    default long initialTotal() {
        return INITIAL_BALANCE * accounts();
    }

    /** Adds {@code ?1} to the balance of account {@code ?2} and counts the update. */
    default String creditSql() {
        return "UPDATE " + table() + " SET balance = balance + ?, ops = ops + 1 WHERE id = ?";
    }

    /** Records transfer {@code ?1} (its gtrid) in this bank's journal. */
    default String journalSql() {
        return "INSERT INTO " + table() + "_journal (gtrid) VALUES (?)";
    }

    /** The gtrids of the transfers this bank's journal holds (committed rows only). */
    default Set<String> journal() throws SQLException {
        throw new UnsupportedOperationException(name() + " keeps no journal of transfers");
    }

    XADataSource xaDataSource();

    /** The JDBC URL (no credentials in it), for the recovery tool's configuration. */
    String url();

    /** The user the bank logs in as. */
    String user();

    /** The password of {@link #user()}, empty for none; never to be printed. */
    String password();

    /** The class name of {@link #xaDataSource()}, for the recovery tool's configuration. */
    String xaDataSourceClass();

    DataSource plainDataSource();

    Dialect dialect();

    long balance(int id) throws SQLException;

    long total() throws SQLException;

    /** Committed updates over all rows. */
    long ops() throws SQLException;

    /** True if no open or prepared transaction holds the row lock of {@code id}. */
    boolean rowIsUnlocked(int id) throws SQLException;

    /** Prepared (in-doubt) branches of this bank owned by coordinator {@code nodeId}, described. */
    List<String> preparedBranchesOf(String nodeId) throws SQLException;

    /**
     * Rolls back what {@link #preparedBranchesOf} lists and drops the table: a failed test must
     * not leave locks or prepared transactions on a shared server.
     */
    void cleanUp(String nodeId) throws SQLException;

    /** As {@link #cleanUp(String)} for the branches of several coordinators, all rolled back before the drop. */
    default void cleanUp(List<String> nodeIds) throws SQLException {
        for (String nodeId : nodeIds) {
            cleanUp(nodeId);
        }
    }
}
