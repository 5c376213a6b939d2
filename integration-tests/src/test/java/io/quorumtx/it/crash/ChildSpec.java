package io.quorumtx.it.crash;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What one forked bank JVM does: which databases it opens and how each is wrapped, where it dies,
 * and how many transfers it runs at most. Passed to {@link TransferChild} as {@code key=value}
 * arguments so a failing run can be repeated by hand from the command line in the test log.
 *
 * @param crashPoint  a {@code CrashPoint} name, or {@code NONE} (the parent kills the JVM itself)
 * @param crashAtHit  the JVM halts the n-th time any transaction reaches {@code crashPoint}
 * @param log         the commit log the JVM uses
 */
record ChildSpec(Path dir, String runId, List<Backend> backends, List<Wrapping> wrappings, String crashPoint,
        int crashAtHit, int threads, int maxTransfers, CommitLogKind log) {

    static final String NO_INJECTED_CRASH = "NONE";

    /** Every database an H2 file. */
    ChildSpec(Path dir, String runId, List<Wrapping> wrappings, String crashPoint, int crashAtHit, int threads,
            int maxTransfers) {
        this(dir, runId, Backend.allH2(wrappings.size()), wrappings, crashPoint, crashAtHit, threads, maxTransfers);
    }

    /** With the local commit log. */
    ChildSpec(Path dir, String runId, List<Backend> backends, List<Wrapping> wrappings, String crashPoint,
            int crashAtHit, int threads, int maxTransfers) {
        this(dir, runId, backends, wrappings, crashPoint, crashAtHit, threads, maxTransfers, CommitLogKind.LOCAL);
    }

    /** Every database an H2 file, with the given commit log. */
    ChildSpec(Path dir, String runId, List<Wrapping> wrappings, String crashPoint, int crashAtHit, int threads,
            int maxTransfers, CommitLogKind log) {
        this(dir, runId, Backend.allH2(wrappings.size()), wrappings, crashPoint, crashAtHit, threads, maxTransfers,
                log);
    }

    ChildSpec {
        wrappings = List.copyOf(wrappings);
        backends = List.copyOf(backends);
        java.util.Objects.requireNonNull(log, "log");
        if (backends.size() != wrappings.size()) {
            throw new IllegalArgumentException("one backend per wrapping: " + backends + ", " + wrappings);
        }
        if (wrappings.size() < 2 || wrappings.size() > BankFiles.NAMES.size()) {
            throw new IllegalArgumentException("2 to " + BankFiles.NAMES.size() + " databases, got " + wrappings);
        }
        if (!runId.matches("[a-z0-9]{1,12}")) {
            throw new IllegalArgumentException("runId must be 1 to 12 of [a-z0-9], got " + runId);
        }
    }

    boolean injectsCrash() {
        return !NO_INJECTED_CRASH.equals(crashPoint);
    }

    List<String> toArgs() {
        List<String> args = new ArrayList<>();
        args.add("dir=" + dir.toAbsolutePath());
        args.add("run=" + runId);
        args.add("backends=" + String.join(",", backends.stream().map(Enum::name).toList()));
        args.add("wrappings=" + String.join(",", wrappings.stream().map(Enum::name).toList()));
        args.add("crash=" + crashPoint);
        args.add("hit=" + crashAtHit);
        args.add("threads=" + threads);
        args.add("max=" + maxTransfers);
        args.add("log=" + log);
        return args;
    }

    static ChildSpec parse(String[] args) {
        java.util.Map<String, String> m = new java.util.HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got " + a);
            }
            m.put(a.substring(0, eq), a.substring(eq + 1));
        }
        return new ChildSpec(Path.of(m.get("dir")), m.get("run"),
                Arrays.stream(m.get("backends").split(",")).map(Backend::valueOf).toList(),
                Arrays.stream(m.get("wrappings").split(",")).map(Wrapping::valueOf).toList(),
                m.get("crash"), Integer.parseInt(m.get("hit")), Integer.parseInt(m.get("threads")),
                Integer.parseInt(m.get("max")), CommitLogKind.valueOf(m.getOrDefault("log", "LOCAL")));
    }
}
