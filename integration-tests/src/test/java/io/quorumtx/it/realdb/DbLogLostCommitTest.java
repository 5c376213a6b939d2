package io.quorumtx.it.realdb;

import static io.quorumtx.it.support.WrappingStyle.DIALECT;
import static io.quorumtx.it.support.WrappingStyle.XA;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.quorumtx.it.realdb.DbLogLostCommitChild.Lose;
import io.quorumtx.it.realdb.RealDbCrashRecoveryTest.Child;
import io.quorumtx.it.support.WrappingStyle;

/**
 * The decision branch's connection lost during its one-phase commit, in a real process that then
 * dies ({@link DbLogLostCommitChild}: its connections to the log's database pass through a TCP
 * proxy in that JVM, which swallows the COMMIT's answer, or the COMMIT itself). Another node, with
 * another id and nothing on disk, then finishes the crashed node's transfers. The outcome is all or
 * nothing and matches the decision row: the reply lost after the server committed leaves a
 * {@code C} row and the transfer committed everywhere; the request lost leaves no row and the
 * transfer rolled back everywhere. On PostgreSQL and MariaDB (skipped without the servers).
 */
class DbLogLostCommitTest {
    private static final int ACCOUNTS = 4;
    private static final int HIT = 2;
    private static final long LEASE_MILLIS = 1_000;

    static Stream<Arguments> losses() {
        return Stream.of(DbLogTopology.POSTGRESQL, DbLogTopology.MARIADB).flatMap(t -> Stream.of(
                Arguments.of(t, DIALECT, Lose.REPLY, true),
                Arguments.of(t, XA, Lose.REQUEST, false)));
    }

    @ParameterizedTest(name = "{0} {1}: the decision branch's commit loses its {2}, then the process dies; committed: {3}")
    @MethodSource("losses")
    void aDecisionBranchCommitLostWithItsConnectionIsFinishedAsTheDecisionRowSays(DbLogTopology topology,
            WrappingStyle style, Lose lose, boolean committed, @TempDir Path dir) throws Exception {
        List<Bank> banks = topology.open(dir, ACCOUNTS, null);
        String nodeId = "dbl-" + UUID.randomUUID().toString().substring(0, 8);
        String prefix = DbLogTopology.newPrefix();
        try {
            Path work = Files.createDirectories(dir.resolve("node-work"));
            Child child = Child.run(work, RealDbCrashRecoveryTest.javaCommand(DbLogLostCommitChild.class.getName(),
                    List.of("topology=" + topology, "style=" + style, "node=" + nodeId,
                            "tables=" + String.join(",", banks.stream().map(Bank::table).toList()),
                            "accounts=" + ACCOUNTS, "prefix=" + prefix, "lease=" + LEASE_MILLIS, "lose=" + lose,
                            "hit=" + HIT)));
            assertThat(child.exit()).as("halted after the loss%s", child).isEqualTo(RealDbCrashChild.CRASH_EXIT);
            assertThat(child.crashPoint()).as("what was lost%s", child).isEqualTo("LOST_COMMIT_" + lose);
            assertThat(child.acknowledged()).as("transfers acknowledged before%s", child).isEqualTo(HIT - 1);
            Matcher m = Pattern.compile("CRASH LOST_COMMIT_\\w+ (\\S+)").matcher(child.output());
            assertThat(m.find()).as("the lost transfer's gtrid%s", child).isTrue();
            String gtrid = m.group(1);
            assertThat(RealDbCrashRecoveryTest.preparedBranches(banks, nodeId)).as("the others prepared, in doubt%s",
                    child).hasSize(2);
            assertThat(DbLogLostCommitChild.decision(banks.get(0), prefix, gtrid)).as("the decision row")
                    .isEqualTo(committed ? "C" : null);
            DbLogCrashRecoveryTest.deleteRecursively(work);

            DbLogCrashRecoveryTest.recoverWithAnotherNode(banks, nodeId, style, prefix);

            assertThat(RealDbCrashRecoveryTest.preparedBranches(banks, nodeId)).as("in doubt after recovery").isEmpty();
            long total = 0;
            long initial = 0;
            for (Bank b : banks) {
                total += b.total();
                initial += b.initialTotal();
                assertThat(b.ops()).as("transfers committed in %s%s", b.name(), child)
                        .isEqualTo(HIT - 1 + (committed ? 1 : 0));
            }
            assertThat(total).as("total across the databases").isEqualTo(initial);
            if (!committed) {
                assertThat(DbLogLostCommitChild.decision(banks.get(0), prefix, gtrid)).as("recovery decided ABORT")
                        .isEqualTo("A");
            }
        } finally {
            for (Bank b : banks) {
                b.cleanUp(nodeId);
            }
            DbLogTopology.dropLogTables(banks.get(0), prefix);
        }
    }
}
