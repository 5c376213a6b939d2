package io.quorumtx.recovery.output;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.LogInspection;
import java.util.List;

/** The JSON shape of {@code log dump} and {@code log verify}. */
public record LogView(String command, String directory, String nodeId, boolean nodeRunning, boolean intact,
                      List<SegmentView> segments, List<FrameView> frames, List<ProblemView> problems,
                      List<CommitView> unfinished, int exitCode) {

    public record SegmentView(String file, long id, long bytes, long frames) {
    }

    public record FrameView(String segment, long offset, int bytes, String type, String gtrid, String decidedAt,
                            List<BranchView> branches) {
    }

    public record BranchView(String resource, String branchQualifier) {
        static List<BranchView> of(List<BranchRecord> branches) {
            return branches.stream().map(b -> new BranchView(b.resourceName(), b.branchQualifier())).toList();
        }
    }

    public record ProblemView(String segment, long offset, long bytes, String kind, String description) {
    }

    public record CommitView(String gtrid, String decidedAt, List<BranchView> branches) {
        public static CommitView of(CommitRecord r) {
            return new CommitView(r.gtrid(), Json.time(r.decidedAtMillis()), BranchView.of(r.branches()));
        }
    }

    public static LogView of(String command, LogInspection log, boolean withFrames, int exitCode) {
        return new LogView(command, log.directory().toString(), log.nodeId().orElse(null), log.probablyRunning(),
                log.clean(),
                log.segments().stream().map(s -> new SegmentView(s.file().getFileName().toString(), s.id(), s.bytes(),
                        s.frames())).toList(),
                withFrames ? log.frames().stream().map(LogView::frame).toList() : null,
                log.problems().stream().map(p -> new ProblemView(p.segment().getFileName().toString(), p.offset(),
                        p.bytes(), p.kind().name(), p.description())).toList(),
                log.unfinished().stream().map(CommitView::of).toList(),
                exitCode);
    }

    private static FrameView frame(LogInspection.Frame f) {
        return new FrameView(f.segment().getFileName().toString(), f.offset(), f.bytes(), f.type().name(), f.gtrid(),
                Json.time(f.decidedAtMillis()), BranchView.of(f.branches()));
    }
}
