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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PostgreSqlDialectXAResourceTest extends DialectXAResourceContract {

    private static ExternalDatabases.Server server;
    private final String foreignGid = "foreign '" + UUID.randomUUID() + "' branch";

    @BeforeAll
    static void findServer() {
        server = ExternalDatabases.Server.POSTGRESQL.require();
    }

    @BeforeEach
    void needsPreparedTransactions() throws SQLException {
        server.requirePreparedTransactions();
    }

    @Override
    protected Connection open() throws SQLException {
        return server.open();
    }

    @Override
    protected Dialect dialect() {
        return Dialect.postgresql();
    }

    @Override
    protected boolean prepareForeignBranch(Connection connection, String table) throws SQLException {
        connection.setAutoCommit(false);
        execute(connection, "INSERT INTO " + table + " VALUES (100, 100)");
        execute(connection, "PREPARE TRANSACTION '" + foreignGid.replace("'", "''") + "'");
        connection.setAutoCommit(true);
        return true;
    }

    @Override
    protected void cleanUpForeignBranch(Connection connection) throws SQLException {
        try {
            execute(connection, "ROLLBACK PREPARED '" + foreignGid.replace("'", "''") + "'");
        } catch (SQLException e) {
            // not prepared by this test
        }
    }

    @Test
    void gidsAreWrittenAsThePostgreSqlDriverWritesThem() throws Exception {
        Xid xid = new BranchXid(7, new byte[] {1, 2, 3}, new byte[] {4, 5});
        assertThat(PostgreSqlDialect.encode(xid)).isEqualTo("7_AQID_BAU=");
        assertThat(PostgreSqlDialect.decode("7_AQID_BAU=")).isEqualTo(xid);
        assertThat(PostgreSqlDialect.decode("x_AQID_BAU=")).isNull();
        assertThat(PostgreSqlDialect.decode("7_AQ'ID_BAU=")).isNull();
    }

    @Test
    void thePostgreSqlDriversXaResourceFindsBranchesThisDialectPrepared() throws Exception {
        Xid xid = xid("interop");
        startWithInsert(xid, 1).prepare(xid);

        org.postgresql.xa.PGXADataSource source = new org.postgresql.xa.PGXADataSource();
        source.setUrl(server.url());
        javax.sql.XAConnection xa = source.getXAConnection();
        try {
            XAResource pg = xa.getXAResource();
            assertThat(pg.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN)).filteredOn(this::isOurs)
                    .hasSize(1).allSatisfy(x -> assertThat(BranchXid.copyOf(x)).isEqualTo(xid));
        } finally {
            xa.close();
        }
    }

    @Test
    void preparingOnAConnectionInAutoCommitModeIsRefusedNotSilentlyEmpty() throws Exception {
        Xid xid = xid("autocommit");
        Connection c = connect();
        DialectXAResource resource = resource(c);
        resource.start(xid, XAResource.TMNOFLAGS);
        c.setAutoCommit(true); // an application bypassing the wrapper would do this
        assertThatThrownBy(() -> resource.prepare(xid)).isInstanceOf(XAException.class);
    }
}
