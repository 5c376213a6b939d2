package io.quorumtx.jdbc.dialect;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.ExternalDatabases;
import java.sql.Connection;
import java.sql.Statement;
import java.util.UUID;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.Test;

/**
 * Passes whichever value the server has: with {@code max_prepared_transactions = 0} the prepare
 * must fail with the message that says what to set; above 0 the branch must prepare and commit.
 */
class PostgreSqlPreparedTransactionsSettingTest {

    @Test
    void prepareFailsWithWhatToSetWhenPreparedTransactionsAreDisabledAndWorksOtherwise() throws Exception {
        ExternalDatabases.Server server = ExternalDatabases.Server.POSTGRESQL.require();
        int max = server.maxPreparedTransactions();
        Xid xid = new BranchXid(0x51545854, ("setting-" + UUID.randomUUID()).getBytes(US_ASCII), "res".getBytes(US_ASCII));
        try (Connection c = server.open()) {
            DialectXAResource resource = new DialectXAResource(c, Dialect.postgresql(), "res");
            resource.start(xid, XAResource.TMNOFLAGS);
            try (Statement s = c.createStatement()) {
                s.execute("SELECT 1");
            }
            resource.end(xid, XAResource.TMSUCCESS);
            if (max == 0) {
                assertThatThrownBy(() -> resource.prepare(xid))
                        .isInstanceOfSatisfying(XAException.class,
                                e -> assertThat(e.errorCode).isEqualTo(XAException.XA_RBROLLBACK))
                        .hasMessageContaining("has max_prepared_transactions = 0, which disables two-phase commit")
                        .hasMessageContaining("ALTER SYSTEM SET max_prepared_transactions = 64")
                        .hasMessageContaining("restart PostgreSQL")
                        .hasMessageContaining("127.0.0.1");
                assertThat(resource.connectionReusable()).isTrue();
                assertThat(c.getAutoCommit()).isTrue();
            } else {
                assertThat(resource.prepare(xid)).isEqualTo(XAResource.XA_OK);
                resource.commit(xid, false);
                assertThat(resource.connectionReusable()).isTrue();
            }
        }
    }
}
