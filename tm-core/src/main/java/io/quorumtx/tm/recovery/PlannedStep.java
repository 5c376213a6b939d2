package io.quorumtx.tm.recovery;

import java.util.Objects;

/**
 * What recovery will do with one branch, and why, in words an operator can act on: for example
 * "logged COMMIT", "no decision and owner n1 is not running: presumed abort", "no decision yet
 * and younger (4s) than the safety interval (2m)", "owned by node n2, which may still decide".
 */
public record PlannedStep(InDoubtBranch branch, RecoveryAction action, String reason) {
    public PlannedStep {
        Objects.requireNonNull(branch, "branch");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(reason, "reason");
    }
}
