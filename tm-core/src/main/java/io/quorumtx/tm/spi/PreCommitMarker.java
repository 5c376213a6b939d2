package io.quorumtx.tm.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A pre-commit marker as a participant keeps it: the transaction it proves decided COMMIT, every
 * participant of that transaction (resource names, so recovery knows where else to look), and
 * when it was written (by the participant's clock; for display only).
 */
public record PreCommitMarker(String gtrid, List<String> participants, Instant writtenAt) {
    public PreCommitMarker {
        Objects.requireNonNull(gtrid, "gtrid");
        participants = List.copyOf(participants);
        Objects.requireNonNull(writtenAt, "writtenAt");
    }
}
