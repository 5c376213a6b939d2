package io.quorumtx.tm.spi;

import java.util.Locale;

/**
 * The phases of one commit that monitoring times ({@code quorumtx.commit.phase}, tag {@code phase}).
 *
 * <p>{@link #PREPARE} is the vote (two or more branches); {@link #LOG} is forcing the COMMIT
 * decision (for three-phase commit, also writing its pre-commit markers); {@link #PHASE2} is
 * committing the branches, or, for a transaction committed in one phase (one branch, or every
 * other branch voted read-only), that one-phase commit.
 */
public enum CommitPhase {
    PREPARE,
    LOG,
    PHASE2;

    /** The lower-case name used as a tag value: {@code prepare}, {@code log}, {@code phase2}. */
    public String tagValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
