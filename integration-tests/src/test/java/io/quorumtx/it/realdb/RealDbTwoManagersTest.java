package io.quorumtx.it.realdb;

import static io.quorumtx.it.realdb.Bank.INITIAL_BALANCE;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.quorumtx.it.support.WrappingStyle;
import jakarta.transaction.Status;

/**
 * Two transaction managers in one JVM on the same database servers keep their own transactions
 * and outcomes, and each one's recovery leaves the other's branches alone.
 */
class RealDbTwoManagersTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.quorumtx.it.realdb.Setups#all")
    void twoManagersOnOneThreadCommitAndRollBackIndependently(Topology topology, WrappingStyle style)
            throws Exception {
        try (RealDbCluster one = RealDbCluster.start(dir.resolve("one"), topology, style);
             RealDbCluster two = RealDbCluster.start(dir.resolve("two"), topology, style)) {
            one.tm().begin();
            assertThat(two.tm().getStatus()).as("the other manager sees no transaction")
                    .isEqualTo(Status.STATUS_NO_TRANSACTION);
            one.debit(0, 1, 5);
            one.credit(1, 1, 5);

            two.tm().begin();
            two.debit(0, 1, 7);
            two.credit(1, 1, 7);
            two.tm().rollback();
            // A recovery pass of the second manager while the first one's transaction is open.
            assertThat(two.tm().recover().nothingInDoubt()).isTrue();

            assertThat(one.tm().getStatus()).isEqualTo(Status.STATUS_ACTIVE);
            one.tm().commit();

            assertThat(one.bank(0).balance(1)).isEqualTo(INITIAL_BALANCE - 5);
            assertThat(one.bank(1).balance(1)).isEqualTo(INITIAL_BALANCE + 5);
            assertThat(two.bank(0).balance(1)).isEqualTo(INITIAL_BALANCE);
            assertThat(two.bank(1).balance(1)).isEqualTo(INITIAL_BALANCE);
            assertThat(one.preparedBranches()).isEmpty();
            assertThat(two.preparedBranches()).isEmpty();
        }
    }
}
