package io.quorumtx.tm.log.internal;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One segment file and the two counts that decide when it may be deleted. Confined to the thread
 * that owns the {@link LogIndex} (the opener, then the writer thread).
 *
 * <p>A segment is needed while it holds a COMMIT without END ({@code unfinishedCommits}) and
 * while it holds an END whose COMMIT still sits in another retained segment ({@code
 * pinnedEnds}): deleting that END first would bring the finished commit back as unfinished on
 * the next open.
 */
public final class Segment {
    private static final Pattern NAME = Pattern.compile("commit-(\\d{20})\\.log");

    final long id;
    final Path path;
    long unfinishedCommits;
    long pinnedEnds;
    /**
     * A corrupt frame was skipped in this segment at open ({@code CORRUPT_FRAME_SKIPPED}): it may
     * have held a COMMIT whose END is elsewhere, so the file is never deleted (it is kept for
     * inspection, like the repair left it), whatever its counts say.
     */
    boolean damaged;
    /** For the commits of this segment whose END is in a later one: which, and how many. */
    final Map<Segment, Long> endsPinnedElsewhere = new HashMap<>(4);

    public Segment(long id, Path path) {
        this.id = id;
        this.path = path;
    }

    public static String fileName(long id) {
        return String.format("commit-%020d.log", id);
    }

    /** The segment id encoded in a file name, or -1 if the name is not a segment's. */
    public static long idOf(String fileName) {
        Matcher m = NAME.matcher(fileName);
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    public long id() {
        return id;
    }

    public Path path() {
        return path;
    }

    boolean finished() {
        return unfinishedCommits == 0 && pinnedEnds == 0 && !damaged;
    }

    /** True if a corrupt frame was skipped in this segment at open; it is then never deleted. */
    public boolean damaged() {
        return damaged;
    }

    @Override
    public String toString() {
        return path.getFileName() + "[unfinished=" + unfinishedCommits + ", pinnedEnds=" + pinnedEnds
                + (damaged ? ", damaged" : "") + "]";
    }
}
