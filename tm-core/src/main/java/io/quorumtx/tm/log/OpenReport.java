package io.quorumtx.tm.log;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link LocalCommitLog#open} found on disk: how much it read and every piece of damage it
 * repaired or stepped over. The recovery tool prints it; {@link #clean()} is true when nothing was
 * wrong.
 */
public record OpenReport(Path directory, int segmentsRead, long recordsRead, int unfinishedCommits,
                         List<Damage> damages) {

    public OpenReport {
        damages = List.copyOf(damages);
    }

    public boolean clean() {
        return damages.isEmpty();
    }

    /** What kind of damage was found and what was done about it. */
    public enum DamageKind {
        /**
         * Bad bytes up to the end of a segment (a write torn by a crash, or garbage): the file was
         * truncated at the first bad frame.
         */
        TORN_TAIL,
        /**
         * A bad frame followed by intact frames in the same segment: not a torn write but damage
         * to data that had been forced. The bad bytes were skipped and the file left as it is,
         * so the intact decisions after it are kept. The skipped frame may have been a COMMIT,
         * so in-doubt branches must be checked with the recovery tool.
         */
        CORRUPT_FRAME_SKIPPED,
        /** A segment without a complete header and without records, left by a crash while it was created; deleted. */
        INCOMPLETE_HEADER
    }

    /** One damaged span of one segment file. */
    public record Damage(Path segment, long offset, long bytes, DamageKind kind) {
        public String describe() {
            return switch (kind) {
                case TORN_TAIL -> "torn tail in " + segment + ": cut at offset " + offset + ", "
                        + bytes + " bytes dropped";
                case CORRUPT_FRAME_SKIPPED -> "corrupt frame in " + segment + " at offset " + offset + ": "
                        + bytes + " bytes skipped, intact frames after it kept; a COMMIT decision may have"
                        + " been lost, check in-doubt branches with the recovery tool";
                case INCOMPLETE_HEADER -> "incomplete segment " + segment + " (" + bytes
                        + " bytes, no complete header, no records) deleted";
            };
        }
    }
}
