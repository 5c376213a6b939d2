package io.quorumtx.recovery.cli;

import io.quorumtx.recovery.output.LogView;
import io.quorumtx.recovery.output.RecoveryView;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/** The human-readable form of scan and resolve: the same {@link RecoveryView} the JSON output shows. */
final class TextReport {
    private TextReport() {
    }

    static void header(PrintStream out, RecoverySetup setup, RecoveryView view) {
        header(out, setup.describeLog(), view);
    }

    static void header(PrintStream out, String describeLog, RecoveryView view) {
        out.println(describeLog);
        for (LogView.ProblemView p : view.logProblems()) {
            out.println("  LOG DAMAGE " + p.kind() + ": " + p.description());
        }
        out.println("Databases:");
        for (RecoveryView.DatabaseView db : view.databases()) {
            out.printf("  %-16s %s  %s%n", db.name(), db.answered()
                    ? "answered, " + db.inDoubt() + " in doubt" : "UNREACHABLE: " + db.error(), db.url());
        }
    }

    /** The pre-commit markers of three-phase commit found in the participants (nothing if there are none). */
    static void markers(PrintStream out, List<RecoveryView.MarkerView> markers) {
        if (markers == null || markers.isEmpty()) {
            return;
        }
        out.println("Pre-commit markers (3PC; each proves its transaction was decided COMMIT): " + markers.size());
        for (RecoveryView.MarkerView m : markers) {
            out.printf("  %-14s %-28s participants %s, written %s%n", m.resource(), m.gtrid(),
                    String.join(",", m.participants()), m.writtenAt());
        }
    }

    static void branches(PrintStream out, List<RecoveryView.BranchView> branches) {
        if (branches.isEmpty()) {
            out.println("In-doubt branches: none");
            return;
        }
        out.println("In-doubt branches: " + branches.size());
        out.printf("  %-14s %-28s %-14s %-10s %-7s %-8s %-8s %s%n",
                "RESOURCE", "GTRID", "BRANCH", "OWNER", "AGE", "LOGGED", "ACTION", "REASON");
        for (RecoveryView.BranchView b : branches) {
            out.printf("  %-14s %-28s %-14s %-10s %-7s %-8s %-8s %s%s%n", b.resource(), b.gtrid(), b.branchQualifier(),
                    b.ownerNode(), age(b.ageSeconds()), b.loggedDecision(), b.action(), b.reason(),
                    "3PC".equals(b.protocol()) ? " [3PC]" : "");
        }
    }

    static void unfinished(PrintStream out, String heading, String whenFinished,
                           List<RecoveryView.UnfinishedView> unfinished) {
        if (unfinished.isEmpty()) {
            return;
        }
        out.println(heading + ": " + unfinished.size());
        for (RecoveryView.UnfinishedView u : unfinished) {
            out.printf("  %s decided %s: %s%n", u.gtrid(), u.decidedAt(), u.blockedBy().isEmpty()
                    ? whenFinished
                    : "END waits: " + String.join("; ", u.blockedBy().values()));
        }
    }

    static String age(Long seconds) {
        if (seconds == null) {
            return "?";
        }
        Duration d = Duration.ofSeconds(seconds);
        if (seconds < 120) {
            return seconds + "s";
        }
        if (seconds < 7200) {
            return d.toMinutes() + "m";
        }
        if (seconds < 172800) {
            return d.toHours() + "h";
        }
        return d.toDays() + "d";
    }
}
