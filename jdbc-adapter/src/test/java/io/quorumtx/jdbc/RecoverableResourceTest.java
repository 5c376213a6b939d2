package io.quorumtx.jdbc;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.jdbc.dialect.BranchXid;
import io.quorumtx.jdbc.dialect.DialectXAResource;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.jdbc.testing.Wrapped.Style;
import io.quorumtx.tm.spi.NamedResource;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.spi.RecoverableResource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Arrays;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the transaction manager gets from a wrapped DataSource for retries and recovery: a
 * resource registered under the DataSource's name whose recovery connections find and finish
 * branches left prepared by a connection that went away.
 */
class RecoverableResourceTest {

    @TempDir
    Path directory;

    private QuorumTransactionManager tm;
    private String url;
    private Wrapped bank;

    @BeforeEach
    void start() throws Exception {
        tm = QuorumTransactionManager.builder().nodeId("n1").logDirectory(directory.resolve("log")).build();
        url = H2Bank.url(directory, "bank");
        H2Bank.createAccounts(url, 100, 100);
    }

    @AfterEach
    void stop() {
        bank.close();
        tm.close();
    }

    /** Prepares a branch on a connection of its own and closes it, as a crashed application would leave it. */
    private Xid leaveAPreparedBranch(String gtrid, int account) throws Exception {
        Xid xid = new BranchXid(0x51545854, gtrid.getBytes(US_ASCII), "bank".getBytes(US_ASCII));
        try (Connection c = DriverManager.getConnection(url, "sa", "")) {
            DialectXAResource branch = new DialectXAResource(c, io.quorumtx.jdbc.dialect.Dialect.h2(), "bank");
            branch.start(xid, XAResource.TMNOFLAGS);
            H2Bank.addToBalance(c, account, 25);
            branch.end(xid, XAResource.TMSUCCESS);
            branch.prepare(xid);
        }
        return xid;
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void recoveryConnectionsFindAndFinishPreparedBranches(Style style) throws Exception {
        bank = Wrapped.of(style, tm, "bank", url);
        Xid committed = leaveAPreparedBranch("to-commit", 1);
        Xid rolledBack = leaveAPreparedBranch("to-roll-back", 2);

        RecoverableResource registered = tm.registeredResource("bank");
        assertThat(registered).isNotNull();
        assertThat(registered.resourceName()).isEqualTo("bank");
        try (RecoverableResource.RecoveryConnection recovery = registered.openRecoveryConnection()) {
            XAResource resource = recovery.xaResource();
            assertThat(((NamedResource) resource).resourceName()).isEqualTo("bank");
            Xid[] found = resource.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN);
            assertThat(Arrays.stream(found).map(BranchXid::copyOf)).containsExactlyInAnyOrder(
                    BranchXid.copyOf(committed), BranchXid.copyOf(rolledBack));
            resource.commit(find(found, committed), false);
            resource.rollback(find(found, rolledBack));
            assertThat(resource.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN)).isEmpty();
        }

        assertThat(H2Bank.balance(url, 1)).isEqualTo(125);
        assertThat(H2Bank.balance(url, 2)).isEqualTo(100);
        assertThat(bank.activeConnections()).as("recovery connections are returned").isZero();
    }

    private static Xid find(Xid[] found, Xid wanted) {
        return Arrays.stream(found).filter(x -> BranchXid.copyOf(x).equals(wanted)).findFirst().orElseThrow();
    }
}
