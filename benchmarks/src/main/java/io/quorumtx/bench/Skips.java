package io.quorumtx.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything a run was asked to measure and did not: workloads, thread counts and systems that
 * were skipped (a server down, a setting too low) or that failed. Each is printed when it happens
 * and again in the summary at the end of the run, and written to {@code skipped.csv}
 * ({@code kind,benchmark,workload,what,reason}), so a run never leaves a row out silently: a
 * table without a postgres row either lists why here or was not asked for postgres.
 */
final class Skips {
    static final String CSV_HEADER = "kind,benchmark,workload,what,reason";

    enum Kind { SKIPPED, FAILED }

    /** {@code benchmark}: "transfers" or "locks"; {@code what}: the systems or thread counts left out. */
    record Entry(Kind kind, String benchmark, String workload, String what, String reason) {
        String line() {
            return String.format(Locale.ROOT, "%-7s %-9s %-8s %s: %s", kind, benchmark, workload, what, reason);
        }
    }

    private final List<Entry> entries = new ArrayList<>();

    /** Records and prints that {@code what} of {@code workload} was not run, and why. */
    synchronized void skipped(String benchmark, String workload, String what, String reason) {
        add(new Entry(Kind.SKIPPED, benchmark, workload, what, reason));
    }

    /** Records and prints that {@code what} of {@code workload} broke, so its rows are missing. */
    synchronized void failed(String benchmark, String workload, String what, String reason) {
        add(new Entry(Kind.FAILED, benchmark, workload, what, reason));
    }

    private void add(Entry entry) {
        entries.add(entry);
        System.out.println(entry.line());
    }

    synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** The summary's lines: one per entry, or one saying that everything asked for ran. */
    synchronized List<String> summary() {
        List<String> lines = new ArrayList<>();
        if (entries.isEmpty()) {
            lines.add("Skipped or failed: nothing; every requested workload, system and thread count ran.");
            return lines;
        }
        lines.add("Skipped or failed (" + entries.size() + "); their rows are missing from the tables above:");
        for (Entry e : entries) {
            lines.add("  " + e.line());
        }
        return lines;
    }

    synchronized void writeCsv(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add(CSV_HEADER);
        for (Entry e : entries) {
            lines.add(String.join(",", e.kind().name(), csv(e.benchmark()), csv(e.workload()), csv(e.what()),
                    csv(e.reason())));
        }
        Files.write(file, lines);
    }

    /** One CSV field (RFC 4180): line breaks become spaces; quoted, quotes doubled, when it holds a comma or a quote. */
    static String csv(String value) {
        String oneLine = value.replace("\r", " ").replace("\n", " ");
        if (oneLine.contains(",") || oneLine.contains("\"")) {
            return "\"" + oneLine.replace("\"", "\"\"") + "\"";
        }
        return oneLine;
    }
}
