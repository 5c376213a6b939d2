package io.quorumtx.jdbc.dialect;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2DialectXAResourceTest extends DialectXAResourceContract {

    @TempDir
    Path directory;

    @Override
    protected Connection open() throws SQLException {
        return DriverManager.getConnection("jdbc:h2:" + directory.resolve("db") + ";WRITE_DELAY=0", "sa", "");
    }

    @Override
    protected Dialect dialect() {
        return Dialect.h2();
    }

    @Override
    protected boolean prepareForeignBranch(Connection connection, String table) throws SQLException {
        connection.setAutoCommit(false);
        execute(connection, "INSERT INTO " + table + " VALUES (100, 100)");
        execute(connection, "PREPARE COMMIT \"someone else's \"\"branch\"\"\"");
        return true;
    }

    @Override
    protected void cleanUpForeignBranch(Connection connection) {
        // the database lives in a temporary directory
    }

    @Test
    void aPreparedBranchSurvivesARestartOfTheDatabase() throws Exception {
        Xid xid = xid("restart");
        DialectXAResource resource = startWithInsert(xid, 1);
        resource.prepare(xid);
        closeEveryConnection();

        assertThat(ourInDoubtBranches()).containsExactly(xid);
        try (Connection c = open()) {
            resource(c).commit(xid, false);
        }
        assertThat(rows()).isEqualTo(1);
        assertThat(ourInDoubtBranches()).isEmpty();
    }

    @Test
    void namesAreWrittenAsH2sOwnXaSupportWritesThem() throws Exception {
        Xid xid = new BranchXid(7, new byte[] {1, 2, 3}, new byte[] {4, 5});
        assertThat(H2Dialect.encode(xid)).isEqualTo("XID|7|BAU|AQID");
        assertThat(H2Dialect.decode("XID|7|BAU|AQID")).isEqualTo(xid);
        assertThat(H2Dialect.decode("XID|x|BAU|AQID")).isNull();
        assertThat(H2Dialect.decode("foreign")).isNull();
    }

    @Test
    void h2sOwnXaResourceFindsBranchesThisDialectPrepared() throws Exception {
        Xid xid = xid("interop");
        startWithInsert(xid, 1).prepare(xid);

        org.h2.jdbcx.JdbcDataSource xaSource = new org.h2.jdbcx.JdbcDataSource();
        xaSource.setURL("jdbc:h2:" + directory.resolve("db") + ";WRITE_DELAY=0");
        xaSource.setUser("sa");
        javax.sql.XAConnection xa = xaSource.getXAConnection();
        try {
            XAResource h2 = xa.getXAResource();
            assertThat(h2.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN)).filteredOn(this::isOurs)
                    .hasSize(1).allSatisfy(x -> assertThat(BranchXid.copyOf(x)).isEqualTo(xid));
        } finally {
            xa.close();
        }
    }

    private void closeEveryConnection() throws SQLException {
        // the database closes with its last connection (H2's default DB_CLOSE_DELAY=0)
        try (Connection c = open()) {
            execute(c, "SHUTDOWN");
        }
    }
}
