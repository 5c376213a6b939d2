package io.quorumtx.recovery.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.Poll;
import io.quorumtx.tm.spi.RecoverableResource;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import javax.transaction.xa.XAException;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final CliContext context = new CliContext(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), name -> null, Prompter.none(), false);

    /** A database that answers only once the progress line naming it has appeared (or gives up after 10 s). */
    private RecoverableResource slow(String name) {
        return new RecoverableResource() {
            @Override
            public String resourceName() {
                return name;
            }

            @Override
            public RecoveryConnection openRecoveryConnection() throws XAException {
                // Answers only once the tool has said which database it waits for.
                Poll.until("the tool reporting that it is scanning " + name, Duration.ofSeconds(10),
                        () -> err.toString(StandardCharsets.UTF_8).contains("scanning " + name));
                throw new XAException(XAException.XAER_RMFAIL);
            }
        };
    }

    @Test
    void aScanThatTakesMoreThanASecondShowsWhichDatabaseItIsWaitingFor() {
        try (Progress progress = new Progress(context, 2)) {
            for (RecoverableResource r : progress.track(List.of(slow("bank-a"), slow("bank-b")))) {
                try {
                    r.openRecoveryConnection();
                } catch (XAException expected) {
                    // unreachable: counted as answered
                }
            }
        }
        String shown = err.toString(StandardCharsets.UTF_8);
        assertThat(shown).contains("scanning bank-a (0 of 2 databases answered)")
                .contains("scanning bank-b (1 of 2 databases answered)");
        assertThat(out.size()).as("stdout stays clean for --json").isZero();
    }

    @Test
    void aQuickScanPrintsNothing() throws Exception {
        RecoverableResource quick = new RecoverableResource() {
            @Override
            public String resourceName() {
                return "bank-a";
            }

            @Override
            public RecoveryConnection openRecoveryConnection() throws XAException {
                throw new XAException(XAException.XAER_RMFAIL);
            }
        };
        try (Progress progress = new Progress(context, 1)) {
            try {
                progress.track(List.of(quick)).get(0).openRecoveryConnection();
            } catch (XAException expected) {
                // answered at once
            }
        }
        assertThat(err.size()).isZero();
    }
}
