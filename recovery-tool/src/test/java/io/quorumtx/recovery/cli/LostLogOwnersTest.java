package io.quorumtx.recovery.cli;

import static io.quorumtx.recovery.testing.CliRun.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.recovery.testing.CliRun.Result;
import io.quorumtx.recovery.testing.CrashedBranches;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.xid.QuorumXid;
import io.quorumtx.tm.xid.XidFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code resolve --assume-log-lost} through the command line when node n1's commit log directory
 * is gone, and both n1 (dead, log lost) and n2 (alive: about to write its pre-commit markers and
 * commit) have three-phase-commit branches without a marker in bank-a and bank-b. Only the
 * owners the operator names are decided; every other owner's branches are shown and left.
 */
class LostLogOwnersTest {

    @TempDir
    Path dir;

    private final List<Connection> keepOpen = new ArrayList<>();
    private String urlA;
    private String urlB;
    private String ofN1;
    private String ofN2;

    @BeforeEach
    void deadN1AndLiveN2() throws Exception {
        urlA = H2Bank.url(dir, "bank-a");
        urlB = H2Bank.url(dir, "bank-b");
        H2Bank.createAccounts(urlA, "sa", "", 100, 100, 100);
        H2Bank.createAccounts(urlB, "sa", "", 100, 100, 100);
        keepOpen.add(DriverManager.getConnection(urlA, "sa", ""));
        keepOpen.add(DriverManager.getConnection(urlB, "sa", ""));
        ofN1 = new XidFactory("n1").newGtrid();
        ofN2 = new XidFactory("n2").newGtrid();
        CrashedBranches.prepare(urlA, "sa", "", new QuorumXid(ofN1, "bank-a", true), 1, -25);
        CrashedBranches.prepare(urlB, "sa", "", new QuorumXid(ofN1, "bank-b", true), 1, 25);
        CrashedBranches.prepare(urlA, "sa", "", new QuorumXid(ofN2, "bank-a", true), 2, -10);
        CrashedBranches.prepare(urlB, "sa", "", new QuorumXid(ofN2, "bank-b", true), 2, 10);
    }

    @AfterEach
    void closeDatabases() throws Exception {
        for (Connection c : keepOpen) {
            c.close();
        }
    }

    private Path config() throws Exception {
        Path file = dir.resolve("recovery.properties");
        Files.write(file, List.of("log.directory=" + dir.resolve("txlog-of-n1"), // never created: the log is lost
                "database.bank-a.url=" + urlA, "database.bank-a.user=sa", "database.bank-a.dialect=h2",
                "database.bank-b.url=" + urlB, "database.bank-b.user=sa", "database.bank-b.dialect=h2"));
        return file;
    }

    private long inDoubt() throws Exception {
        return H2Bank.inDoubt(urlA) + H2Bank.inDoubt(urlB);
    }

    @Test
    void assumeLogLostRollsBackOnlyTheNamedNodesUnmarkedBranchesAndShowsWhyTheOthersAreLeft() throws Exception {
        Result r = cli().run("resolve", "--config", config().toString(), "--yes", "--assume-log-lost=n1");

        assertThat(inDoubt()).as("n2's two branches are left to n2%s", r).isEqualTo(2);
        assertThat(H2Bank.balance(urlA, 1)).as("n1's transfer rolled back").isEqualTo(100);
        assertThat(H2Bank.balance(urlB, 1)).isEqualTo(100);
        assertThat(r.exit()).as("n2's branches stay in doubt").isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.out()).containsPattern(ofN1.replace(".", "\\.") + ".*ROLLED_BACK")
                .containsPattern(ofN2.replace(".", "\\.") + ".*LEFT.*node n2.*not declared lost");
    }

    @Test
    void assumeLogLostWithoutNodeIdsIsRefusedWithWhatToAddAndChangesNothing() throws Exception {
        Result r = cli().run("resolve", "--config", config().toString(), "--yes", "--assume-log-lost");

        assertThat(inDoubt()).as("nothing rolled back, n2's branches least of all%s", r).isEqualTo(4);
        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err()).contains("--assume-log-lost=NODE").contains("Nothing was changed");
    }
}
