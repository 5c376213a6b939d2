package io.quorumtx.tm.log.internal;

import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory view of the log: every unfinished COMMIT, and for every segment on disk the
 * counts that decide when it may be deleted (see {@link Segment}).
 *
 * <p>Threading: one owner mutates (the opening thread while segments are read, afterwards the
 * writer thread). {@link #decision} and {@link #unfinished} may be called from any thread: the
 * entry map is concurrent. A COMMIT enters the index only after it is forced, so
 * {@code decision()} never reports a decision that a crash could undo.
 *
 * <p>A BRANCH_DONE belongs to its unfinished commit's entry (a finished branch of an unfinished
 * commit, which recovery must not commit again; see {@code CommitLog#logBranchDone}). Like an END
 * in a later segment than its COMMIT, it pins its own segment until the COMMIT's segment is
 * deleted, and a carried-forward commit takes its BRANCH_DONEs with it.
 *
 * <p>Memory holds only unfinished commits: an END removes its entry at once. What the deletion
 * rule still needs about it, that its END sits in a later segment than its COMMIT, is kept as a
 * count on the two segments.
 */
public final class LogIndex {

    private static final class Entry {
        final long sequence;
        final CommitRecord record;
        Segment commitSegment;
        /** Branches recorded BRANCH_DONE; read by any thread (recovery's planning). */
        final Set<BranchRecord> done = ConcurrentHashMap.newKeySet();

        Entry(long sequence, CommitRecord record, Segment commitSegment) {
            this.sequence = sequence;
            this.record = record;
            this.commitSegment = commitSegment;
        }
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final TreeMap<Long, Segment> segments = new TreeMap<>();
    private long nextSequence;

    public void addSegment(Segment segment) {
        segments.put(segment.id, segment);
    }

    /**
     * Applies a durable COMMIT. A repeated COMMIT for an unfinished gtrid (a commit carried forward
     * into a newer segment) moves it there, so the older segment can be deleted; its place in the
     * oldest-first order is kept.
     */
    public void applyCommit(CommitRecord record, Segment segment) {
        Entry entry = entries.get(record.gtrid());
        if (entry == null) {
            entries.put(record.gtrid(), new Entry(nextSequence++, record, segment));
            segment.unfinishedCommits++;
        } else if (entry.commitSegment != segment) {
            entry.commitSegment.unfinishedCommits--;
            entry.commitSegment = segment;
            segment.unfinishedCommits++;
        }
    }

    /**
     * Applies a durable BRANCH_DONE written to {@code segment}. Ignored without an unfinished COMMIT
     * (the commit has its END: nothing of it is left to guard) and when already recorded in this
     * segment's view.
     */
    public void applyBranchDone(String gtrid, BranchRecord branch, Segment segment) {
        Entry entry = entries.get(gtrid);
        if (entry == null) {
            return;
        }
        entry.done.add(branch);
        if (entry.commitSegment != segment) {
            // Deleting this segment before the COMMIT's would forget that the branch is finished.
            segment.pinnedEnds++;
            entry.commitSegment.endsPinnedElsewhere.merge(segment, 1L, Long::sum);
        }
    }

    /** True if a BRANCH_DONE is held for this branch of an unfinished commit. Any thread. */
    public boolean isBranchDone(String gtrid, BranchRecord branch) {
        Entry entry = entries.get(gtrid);
        return entry != null && entry.done.contains(branch);
    }

    /** The finished branches recorded for an unfinished commit (empty if none, or no such commit). Any thread. */
    public Set<BranchRecord> doneBranches(String gtrid) {
        Entry entry = entries.get(gtrid);
        return entry == null ? Set.of() : Set.copyOf(entry.done);
    }

    /** True if an END for this gtrid would change anything (it has an unfinished COMMIT). */
    public boolean isUnfinished(String gtrid) {
        return entries.containsKey(gtrid);
    }

    /** Applies an END written to {@code segment}. An END without an unfinished COMMIT is ignored. */
    public void applyEnd(String gtrid, Segment segment) {
        Entry entry = entries.remove(gtrid);
        if (entry == null) {
            return;
        }
        Segment commitSegment = entry.commitSegment;
        commitSegment.unfinishedCommits--;
        if (commitSegment != segment) {
            segment.pinnedEnds++;
            commitSegment.endsPinnedElsewhere.merge(segment, 1L, Long::sum);
        }
    }

    /**
     * Under presumed abort a finished commit may be forgotten: every branch has committed, no
     * branch is left in doubt, so nobody needs the answer; UNKNOWN is what a reopened log would
     * say once the segment is deleted, so it is said at once for consistency.
     */
    public Decision decision(String gtrid) {
        return entries.containsKey(gtrid) ? Decision.COMMIT : Decision.UNKNOWN;
    }

    public List<CommitRecord> unfinished() {
        return unfinished(Long.MAX_VALUE);
    }

    /** Unfinished commits held in segments older than {@code segmentId}. Owner thread only. */
    public List<CommitRecord> unfinishedBefore(long segmentId) {
        return unfinished(segmentId);
    }

    private List<CommitRecord> unfinished(long beforeSegmentId) {
        List<Entry> open = new ArrayList<>();
        for (Entry entry : entries.values()) {
            // commitSegment is read only by the owner thread (for carrying forward); other threads
            // ask for everything and must not depend on a field they may see stale.
            if (beforeSegmentId == Long.MAX_VALUE || entry.commitSegment.id < beforeSegmentId) {
                open.add(entry);
            }
        }
        // Oldest decision first. Log order alone is not enough: a commit carried forward appears
        // after younger ones once its original segment is deleted.
        open.sort(Comparator.<Entry>comparingLong(e -> e.record.decidedAtMillis()).thenComparingLong(e -> e.sequence));
        List<CommitRecord> records = new ArrayList<>(open.size());
        for (Entry entry : open) {
            records.add(entry.record);
        }
        return records;
    }

    public int unfinishedCount() {
        return entries.size();
    }

    /**
     * Removes and returns one segment that no longer holds anything needed, never {@code
     * active}; null if there is none. The caller deletes the file and calls again: forgetting a
     * segment releases the ENDs that pinned later segments.
     */
    public Segment takeFinishedSegment(Segment active) {
        for (Segment segment : segments.values()) {
            if (segment != active && segment.finished()) {
                segments.remove(segment.id);
                segment.endsPinnedElsewhere.forEach((later, count) -> later.pinnedEnds -= count);
                return segment;
            }
        }
        return null;
    }

    public int segmentCount() {
        return segments.size();
    }
}
