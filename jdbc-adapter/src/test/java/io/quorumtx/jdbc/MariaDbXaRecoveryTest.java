package io.quorumtx.jdbc;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.jdbc.dialect.BranchXid;
import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.spi.RecoverableResource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import javax.sql.XAConnection;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MariaDB answers XAER_NOTA ("unknown XID") for a prepared branch still held by another session.
 * Through a wrapped XADataSource that answer must not reach the transaction manager as "finished".
 */
class MariaDbXaRecoveryTest {

    @TempDir
    Path directory;

    @Test
    @SuppressWarnings("try") // the data source registers the resource with the TM for recovery; the body does not reference it
    void aPreparedBranchHeldByAnotherSessionIsReportedUnreachableAndFinishedOnceReleased() throws Exception {
        ExternalDatabases.Server server = ExternalDatabases.mariadb();
        String table = "held_" + UUID.randomUUID().toString().substring(0, 8);
        Xid xid = new BranchXid(0x51545854, ("held-" + table).getBytes(US_ASCII), "mariadb".getBytes(US_ASCII));
        org.mariadb.jdbc.MariaDbDataSource xaSource = new org.mariadb.jdbc.MariaDbDataSource(server.url());
        try (Connection c = server.open(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY)");
        }
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1")
                .logDirectory(directory.resolve("log")).build();
             TransactionalDataSource ds = TransactionalDataSource.builder(tm).name("mariadb")
                     .xaDataSource(xaSource).maximumPoolSize(1).build()) {
            XAConnection holder = xaSource.getXAConnection();
            XAResource held = holder.getXAResource();
            held.start(xid, XAResource.TMNOFLAGS);
            try (Statement s = holder.getConnection().createStatement()) {
                s.execute("INSERT INTO " + table + " VALUES (1)");
            }
            held.end(xid, XAResource.TMSUCCESS);
            held.prepare(xid);

            RecoverableResource resource = tm.registeredResource("mariadb");
            try (RecoverableResource.RecoveryConnection recovery = resource.openRecoveryConnection()) {
                assertThatThrownBy(() -> recovery.xaResource().commit(xid, false))
                        .isInstanceOfSatisfying(XAException.class,
                                e -> assertThat(e.errorCode).isEqualTo(XAException.XAER_RMFAIL))
                        .cause().as("the driver's own answer").isInstanceOfSatisfying(XAException.class,
                                e -> assertThat(e.errorCode).isEqualTo(XAException.XAER_NOTA));
            }

            holder.close();
            Poll.until("the released branch is committed through a recovery connection", Duration.ofSeconds(10), () -> {
                try (RecoverableResource.RecoveryConnection recovery = resource.openRecoveryConnection()) {
                    recovery.xaResource().commit(xid, false);
                    return true;
                } catch (XAException e) {
                    if (e.errorCode != XAException.XAER_RMFAIL) {
                        throw e;
                    }
                    return false;
                }
            });
            try (RecoverableResource.RecoveryConnection recovery = resource.openRecoveryConnection()) {
                assertThat(Arrays.stream(recovery.xaResource().recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN))
                        .map(BranchXid::copyOf)).doesNotContain(BranchXid.copyOf(xid));
            }
        } finally {
            try (Connection c = server.open(); Statement s = c.createStatement()) {
                try {
                    s.execute("XA ROLLBACK X'" + java.util.HexFormat.of().formatHex(xid.getGlobalTransactionId())
                            + "',X'" + java.util.HexFormat.of().formatHex(xid.getBranchQualifier()) + "'," + xid.getFormatId());
                } catch (java.sql.SQLException alreadyFinished) {
                    // committed by the test
                }
                s.execute("DROP TABLE " + table);
            }
        }
    }
}
