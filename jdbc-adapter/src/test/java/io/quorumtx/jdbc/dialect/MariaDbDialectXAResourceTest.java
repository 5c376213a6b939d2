package io.quorumtx.jdbc.dialect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.ExternalDatabases;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MariaDbDialectXAResourceTest extends DialectXAResourceContract {

    private static ExternalDatabases.Server server;
    private final String foreignGtrid = "foreign-" + UUID.randomUUID();

    @BeforeAll
    static void findServer() {
        server = ExternalDatabases.mariadb();
    }

    @Override
    protected Connection open() throws SQLException {
        return server.open();
    }

    @Override
    protected Dialect dialect() {
        return Dialect.mysql();
    }

    @Override
    protected boolean prepareForeignBranch(Connection connection, String table) throws SQLException {
        execute(connection, "XA START '" + foreignGtrid + "'");
        execute(connection, "INSERT INTO " + table + " VALUES (100, 100)");
        execute(connection, "XA END '" + foreignGtrid + "'");
        execute(connection, "XA PREPARE '" + foreignGtrid + "'");
        return true;
    }

    @Override
    protected void cleanUpForeignBranch(Connection connection) {
        try {
            execute(connection, "XA ROLLBACK '" + foreignGtrid + "'");
        } catch (SQLException e) {
            // not prepared by this test
        }
    }

    @Test
    void xidsGoIntoSqlAsHexLiterals() throws Exception {
        Xid xid = new BranchXid(7, new byte[] {1, 2, (byte) 0xff}, "'; DROP".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(MySqlDialect.literal(xid)).isEqualTo("X'0102ff',X'273b2044524f50',7");
    }

    @Test
    void theMariaDbDriversXaResourceFindsBranchesThisDialectPrepared() throws Exception {
        Xid xid = xid("interop");
        startWithInsert(xid, 1).prepare(xid);

        org.mariadb.jdbc.MariaDbDataSource source = new org.mariadb.jdbc.MariaDbDataSource(server.url());
        javax.sql.XAConnection xa = source.getXAConnection();
        try {
            XAResource driver = xa.getXAResource();
            assertThat(driver.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN)).filteredOn(this::isOurs)
                    .hasSize(1).allSatisfy(x -> assertThat(BranchXid.copyOf(x)).isEqualTo(xid));
        } finally {
            xa.close();
        }
    }

    @Test
    void aBranchStillAttachedToItsLiveSessionIsReportedUnreachableNotUnknown() throws Exception {
        Xid xid = xid("attached");
        startWithInsert(xid, 1).prepare(xid); // its connection stays open
        DialectXAResource recovery = resource(connect());

        assertThatThrownBy(() -> recovery.commit(xid, false)).isInstanceOfSatisfying(XAException.class,
                e -> assertThat(e.errorCode).as("retry later, do not forget it").isEqualTo(XAException.XAER_RMFAIL));
        assertThat(ourInDoubtBranches()).containsExactly(xid);
    }
}
