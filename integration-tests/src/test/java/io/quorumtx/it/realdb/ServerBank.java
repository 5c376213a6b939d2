package io.quorumtx.it.realdb;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import javax.sql.DataSource;
import javax.sql.XADataSource;

import org.mariadb.jdbc.MariaDbDataSource;
import org.postgresql.ds.PGSimpleDataSource;
import org.postgresql.xa.PGXADataSource;

import io.quorumtx.testsupport.ExternalDatabases.Account;
import io.quorumtx.testsupport.ExternalDatabases.Server;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.tm.xid.QuorumXid;

/**
 * A bank in one database of a shared PostgreSQL or MariaDB server. Its table has a unique name,
 * so tests (and other runs on the same server) never see each other's rows; it is created by the
 * bank's own account, and read, inspected and dropped by the server's superuser.
 *
 * <p>In-doubt branches are recognised as QuorumTX's (our format id) and as the test's (the gtrid
 * names the test's node id, the branch qualifier this bank's resource name), so a prepared branch
 * of anyone else on the server is never reported or touched.
 */
final class ServerBank implements Bank {
    private final Server server;
    private final String database;
    private final Account account;
    private final String name;
    private final String table;
    private final int accounts;
    /** The port the bank's connections go to instead of the server's (a test's proxy), or 0. */
    private int viaPort;

    /** A fresh table of {@code accounts} rows, or (with {@code existingTable}) one a parent test created. */
    ServerBank(Server server, String database, Account account, String name, int accounts, String existingTable)
            throws SQLException {
        this.server = server;
        this.database = database;
        this.account = account;
        this.name = name;
        this.accounts = accounts;
        if (existingTable != null) {
            if (!existingTable.matches("acct_[0-9a-f]{12}")) {
                throw new IllegalArgumentException("not a table of this test: " + existingTable);
            }
            this.table = existingTable;
            return;
        }
        this.table = "acct_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        StringBuilder rows = new StringBuilder();
        for (int id = 1; id <= accounts; id++) {
            rows.append(id == 1 ? "" : ",").append('(').append(id).append(',').append(INITIAL_BALANCE).append(",0)");
        }
        try (Connection c = server.open(database, account); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY, balance BIGINT NOT NULL, ops BIGINT NOT NULL)");
            s.execute("INSERT INTO " + table + " VALUES " + rows);
            s.execute("CREATE TABLE " + table + "_journal (gtrid VARCHAR(128) PRIMARY KEY)");
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String table() {
        return table;
    }

    @Override
    public int accounts() {
        return accounts;
    }

    @Override
    public String url() {
        String url = server.url(database);
        if (viaPort == 0) {
            return url;
        }
        String via = url.replaceFirst("//([^/:]+):[0-9]+/", "//127.0.0.1:" + viaPort + "/");
        if (via.equals(url)) {
            throw new IllegalStateException("cannot route " + url + " through port " + viaPort);
        }
        return via;
    }

    /**
     * The same bank (same database and table), its connections (data sources, pools) made to
     * 127.0.0.1:{@code port}, a TCP proxy in front of the server; inspection and clean-up stay direct.
     */
    ServerBank via(int port) throws SQLException {
        ServerBank copy = new ServerBank(server, database, account, name, accounts, table);
        copy.viaPort = port;
        return copy;
    }

    @Override
    public String user() {
        return account.user();
    }

    @Override
    public String password() {
        return account.password();
    }

    @Override
    public String xaDataSourceClass() {
        return server == Server.POSTGRESQL ? PGXADataSource.class.getName() : MariaDbDataSource.class.getName();
    }

    @Override
    public XADataSource xaDataSource() {
        try {
            if (server == Server.POSTGRESQL) {
                PGXADataSource xa = new PGXADataSource();
                xa.setUrl(url());
                xa.setUser(account.user());
                xa.setPassword(account.password());
                return xa;
            }
            return mariaDb();
        } catch (SQLException e) {
            throw new IllegalStateException("could not configure the XADataSource of " + this, e);
        }
    }

    @Override
    public DataSource plainDataSource() {
        try {
            if (server == Server.POSTGRESQL) {
                PGSimpleDataSource ds = new PGSimpleDataSource();
                ds.setUrl(url());
                ds.setUser(account.user());
                ds.setPassword(account.password());
                return ds;
            }
            return mariaDb();
        } catch (SQLException e) {
            throw new IllegalStateException("could not configure the DataSource of " + this, e);
        }
    }

    /** MariaDB's one DataSource class is both an XADataSource and a plain DataSource. */
    private MariaDbDataSource mariaDb() throws SQLException {
        MariaDbDataSource ds = new MariaDbDataSource(url());
        ds.setUser(account.user());
        ds.setPassword(account.password());
        return ds;
    }

    @Override
    public Dialect dialect() {
        return server == Server.POSTGRESQL ? Dialect.postgresql() : Dialect.mysql();
    }

    @Override
    public long balance(int id) throws SQLException {
        return queryLong("SELECT balance FROM " + table + " WHERE id = " + id);
    }

    @Override
    public long total() throws SQLException {
        return queryLong("SELECT SUM(balance) FROM " + table);
    }

    @Override
    public long ops() throws SQLException {
        return queryLong("SELECT SUM(ops) FROM " + table);
    }

    /** {@code FOR UPDATE NOWAIT} fails at once on a row an open or prepared transaction holds. */
    @Override
    public Set<String> journal() throws SQLException {
        Set<String> gtrids = new HashSet<>();
        try (Connection c = admin(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT gtrid FROM " + table + "_journal")) {
            while (rs.next()) {
                gtrids.add(rs.getString(1));
            }
        }
        return gtrids;
    }

    @Override
    public boolean rowIsUnlocked(int id) throws SQLException {
        try (Connection c = admin()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id FROM " + table + " WHERE id = " + id + " FOR UPDATE NOWAIT")) {
                rs.next();
            } catch (SQLException e) {
                // PostgreSQL: lock_not_available; MariaDB: lock wait timeout (NOWAIT), MySQL: ER_LOCK_NOWAIT.
                if ("55P03".equals(e.getSQLState()) || e.getErrorCode() == 1205 || e.getErrorCode() == 3572) {
                    return false;
                }
                throw e;
            } finally {
                c.rollback();
            }
            return true;
        }
    }

    @Override
    public List<String> preparedBranchesOf(String nodeId) throws SQLException {
        List<String> found = new ArrayList<>();
        for (PreparedBranch b : prepared(nodeId)) {
            found.add(name + ": " + b.gtrid() + " (" + server.label() + ", " + database + ")");
        }
        return found;
    }

    @Override
    public void cleanUp(String nodeId) throws SQLException {
        cleanUp(List.of(nodeId));
    }

    /** Every node's branches first: a prepared branch holds its row locks, and DROP TABLE would wait for them. */
    @Override
    public void cleanUp(List<String> nodeIds) throws SQLException {
        try (Connection c = admin(); Statement s = c.createStatement()) {
            for (String nodeId : nodeIds) {
                for (PreparedBranch b : prepared(nodeId)) {
                    s.execute(b.rollbackSql());
                }
            }
            s.execute("DROP TABLE IF EXISTS " + table);
            s.execute("DROP TABLE IF EXISTS " + table + "_journal");
        }
    }

    private record PreparedBranch(String gtrid, String rollbackSql) {
    }

    private List<PreparedBranch> prepared(String nodeId) throws SQLException {
        List<PreparedBranch> found = new ArrayList<>();
        try (Connection c = admin(); Statement s = c.createStatement()) {
            if (server == Server.POSTGRESQL) {
                // Gids as the dialect and PGXADataSource write them: formatId_base64(gtrid)_base64(bqual).
                try (ResultSet rs = s.executeQuery(
                        "SELECT gid FROM pg_prepared_xacts WHERE database = '" + database + "'")) {
                    while (rs.next()) {
                        String gid = rs.getString(1);
                        String[] parts = gid.split("_", -1);
                        if (parts.length == 3 && ours(parts[0])) {
                            ours(nodeId, Base64.getDecoder().decode(parts[1]), Base64.getDecoder().decode(parts[2]),
                                    "ROLLBACK PREPARED '" + gid + "'", found);
                        }
                    }
                }
            } else {
                try (ResultSet rs = s.executeQuery("XA RECOVER")) {
                    while (rs.next()) {
                        int formatId = rs.getInt("formatID");
                        if (!ours(Integer.toString(formatId))) {
                            continue;
                        }
                        byte[] data = rs.getBytes("data");
                        int g = rs.getInt("gtrid_length");
                        byte[] gtrid = Arrays.copyOfRange(data, 0, g);
                        byte[] bqual = Arrays.copyOfRange(data, g, data.length);
                        HexFormat hex = HexFormat.of();
                        ours(nodeId, gtrid, bqual, "XA ROLLBACK X'" + hex.formatHex(gtrid) + "',X'"
                                + hex.formatHex(bqual) + "'," + formatId, found);
                    }
                }
            }
        }
        return found;
    }

    /** QuorumTX's format ids: two-phase and three-phase commit. */
    private static boolean ours(String formatId) {
        return formatId.equals(Integer.toString(QuorumXid.FORMAT_ID))
                || formatId.equals(Integer.toString(QuorumXid.FORMAT_ID_THREE_PHASE));
    }

    private void ours(String nodeId, byte[] gtrid, byte[] bqual, String rollbackSql, List<PreparedBranch> found) {
        String g = new String(gtrid, StandardCharsets.US_ASCII);
        if (g.startsWith(nodeId + ".") && new String(bqual, StandardCharsets.US_ASCII).equals(name)) {
            found.add(new PreparedBranch(g, rollbackSql));
        }
    }

    private Connection admin() throws SQLException {
        return server.open(database, server.admin());
    }

    private long queryLong(String sql) throws SQLException {
        try (Connection c = admin(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public String toString() {
        return name + " (" + server.label() + ", database " + database + ", user " + account + ")";
    }
}
