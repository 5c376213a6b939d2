package io.quorumtx.jdbc.dblog;

import static io.quorumtx.testsupport.H2Bank.balance;
import static io.quorumtx.testsupport.H2Bank.inDoubt;
import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.jdbc.testing.Wrapped.Style;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.xid.XidFactory;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database holds prepared QuorumTX branches of a coordinator that does not use this log (another
 * application, a node on the local or replicated log, another log's table prefix). That node has
 * no row in this log's nodes table; it must not be taken for a node whose lease lapsed: its
 * decision is in its own log, so settling it here (ABORT row) and rolling its branch back could
 * undo a transaction it committed elsewhere.
 */
class ForeignOwnerTest {
    @TempDir
    Path directory;

    @Test
    void aNodeThatNeverRegisteredInThisLogIsLeftAlone() throws Exception {
        XidFactory stranger = new XidFactory("stranger");
        String gtrid = stranger.newGtrid();
        DbLogFixture db = new DbLogFixture(directory);
        QuorumTransactionManager tm = null;
        Wrapped bankB = null;
        try {
            DbLogFixture.leavePrepared(db.urlB, stranger.branch(gtrid, "1", false), 55);
            DatabaseCommitLog log = db.log(db.urlA, "bank-a", Duration.ofSeconds(30));
            tm = QuorumTransactionManager.builder().nodeId("node-a").commitLog(log).build();
            bankB = Wrapped.of(Style.DIALECT, tm, "bank-b", db.urlB); // registers bank-b for recovery
            assertThat(log.isOwnerLeaseLapsed("stranger")).as("no row: not this log's node, so not known gone")
                    .isFalse();

            tm.recover();

            assertThat(inDoubt(db.urlB)).as("left to its own coordinator").isEqualTo(1);
            assertThat(log.decision(gtrid)).as("no ABORT row written for it").isEqualTo(Decision.UNKNOWN);
            assertThat(balance(db.urlB, 1)).isEqualTo(1000);
        } finally {
            if (bankB != null) {
                bankB.close();
            }
            if (tm != null) {
                tm.close();
            }
            db.close();
        }
    }
}
