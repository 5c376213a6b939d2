package io.quorumtx.it.realdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.it.realdb.RealDbCrashRecoveryTest.Child;
import io.quorumtx.it.support.WrappingStyle;
import io.quorumtx.tm.testing.CrashPoint;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The application as users write it — a {@code @Transactional} service calling Jdbi SqlObject
 * DAOs on H2, PostgreSQL and MariaDB — halted (Runtime.halt) in the middle of the commit its
 * proxy runs; a restarted manager recovers. Same verdict as {@link RealDbCrashRecoveryTest}:
 * nothing prepared, money conserved, every acknowledged transfer in every database, the crashed
 * one everywhere or nowhere as its point demands.
 */
class AnnotatedCrashRecoveryTest {
    private static final int ACCOUNTS = 5;

    @ParameterizedTest(name = "{1}: halt at {0}, crashed transfer committed: {2}")
    @CsvSource({"AFTER_ALL_PREPARED, DIALECT, false", "AFTER_COMMIT_RECORD, XA, true",
            "BETWEEN_PHASE2_COMMITS, DIALECT, true"})
    void aCrashInsideAnAnnotatedMethodsCommitLosesNothing(CrashPoint point, WrappingStyle style,
            boolean crashedTransferCommits, @TempDir Path dir) throws Exception {
        List<Bank> banks = Topology.MIXED.open(dir, ACCOUNTS);
        String nodeId = "ann-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            int hit = point == CrashPoint.BETWEEN_PHASE2_COMMITS ? 2 * (banks.size() - 1) + 1 : 3;
            Child child = Child.run(dir, RealDbCrashRecoveryTest.javaCommand(RealDbCrashChild.class.getName(), List.of(
                    "topology=" + Topology.MIXED, "style=" + style, "dir=" + dir.toAbsolutePath(), "node=" + nodeId,
                    "tables=" + String.join(",", banks.stream().map(Bank::table).toList()), "accounts=" + ACCOUNTS,
                    "point=" + point, "hit=" + hit, "annotated=true")));
            assertThat(child.exit()).as("halted at the injection point%s", child).isEqualTo(RealDbCrashChild.CRASH_EXIT);
            assertThat(child.crashPoint()).as("where it halted%s", child).isEqualTo(point.name());
            assertThat(child.acknowledged()).as("annotated transfers acknowledged before the crash%s", child)
                    .isPositive();
            assertThat(RealDbCrashRecoveryTest.preparedBranches(banks, nodeId)).isNotEmpty();

            RealDbCrashRecoveryTest.recoverWithNewManager(dir, banks, nodeId, style);

            assertThat(RealDbCrashRecoveryTest.preparedBranches(banks, nodeId)).isEmpty();
            long total = 0;
            long initial = 0;
            for (Bank b : banks) {
                total += b.total();
                initial += b.initialTotal();
                assertThat(b.ops()).as("transfers in %s%s", b.name(), child)
                        .isEqualTo(child.acknowledged() + (crashedTransferCommits ? 1 : 0));
            }
            assertThat(total).isEqualTo(initial);
        } finally {
            for (Bank b : banks) {
                b.cleanUp(nodeId);
            }
        }
    }
}
