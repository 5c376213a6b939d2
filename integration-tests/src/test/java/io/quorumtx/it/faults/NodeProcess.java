package io.quorumtx.it.faults;

import io.quorumtx.testsupport.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.quorumtx.it.crash.Jvm;
import io.quorumtx.it.realdb.PaxosNodeChild;

/**
 * One member of the campaign's cluster across its incarnations: each start is a new
 * {@link PaxosNodeChild} JVM on the same acceptor directory, port and node id; its stdout (the
 * transfer lines) and stderr (the node's log) go to files of their own in the campaign directory,
 * kept when the campaign fails. Signals are real: SIGKILL, SIGTERM, SIGSTOP and SIGCONT.
 */
final class NodeProcess {
    static final Duration READY_WITHIN = Duration.ofSeconds(90);

    private final int index;
    private final String id;
    private final Path dir;
    private final List<String> jvmOptions;
    private final List<String> args;
    private final String secret;
    private final List<Path> outputs = new ArrayList<>(); // stdout of each incarnation
    private final List<Path> logs = new ArrayList<>(); // stderr of each incarnation
    private final Map<String, LineCounter> logCounters = new HashMap<>();
    private Process process;
    private boolean paused;

    NodeProcess(int index, String id, Path dir, List<String> jvmOptions, List<String> args, String secret) {
        this.index = index;
        this.id = id;
        this.dir = dir;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.args = List.copyOf(args);
        this.secret = secret;
    }

    int index() {
        return index;
    }

    String id() {
        return id;
    }

    /** The acceptor's directory (the member's "disk"). */
    Path dataDirectory() {
        return dir.resolve(id + "-data");
    }

    /** How an incarnation comes up, in the life of the member's acceptor directory. */
    enum Start {
        /** The member's first start: the cluster is new. */
        FIRST,
        /** A later start on the directory it left. */
        AGAIN,
        /** A start after its directory was wiped (the disk was lost). */
        AFTER_WIPE
    }

    /**
     * The one place that knows how each kind of start is told to the member: the child's
     * {@code start=} argument, the replicated log's {@code StartMode}: {@code BOOTSTRAP} (a new
     * cluster), {@code RESTART} (its directory as it left it) or {@code REJOIN} (its directory was
     * wiped: it fences off the transactions begun before it rejoined and leaves them to the others).
     */
    static List<String> startArguments(Start start) {
        return List.of("start=" + switch (start) {
            case FIRST -> "BOOTSTRAP";
            case AGAIN -> "RESTART";
            case AFTER_WIPE -> "REJOIN";
        });
    }

    /** Starts an incarnation that moves money ({@code transfer}) or only recovers and serves ({@code idle}). */
    void start(String mode) throws IOException {
        launch(mode, outputs.isEmpty() ? Start.FIRST : Start.AGAIN);
    }

    /** Starts the member after {@link #wipe()}. */
    void startAfterWipe(String mode) throws IOException {
        launch(mode, Start.AFTER_WIPE);
    }

    private void launch(String mode, Start start) throws IOException {
        if (alive()) {
            throw new IllegalStateException(id + " is still running (pid " + process.pid() + ")");
        }
        List<String> all = new ArrayList<>(args);
        all.add("mode=" + mode);
        all.add("data=" + dataDirectory().toAbsolutePath());
        all.addAll(startArguments(start));
        String name = id + "-" + (outputs.size() + 1);
        Path out = dir.resolve(name + ".out");
        Path log = dir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(Jvm.command(jvmOptions, PaxosNodeChild.class.getName(), all))
                .redirectOutput(out.toFile()).redirectError(log.toFile());
        builder.environment().put(PaxosNodeChild.SECRET_VARIABLE, secret);
        process = builder.start();
        paused = false;
        outputs.add(out);
        logs.add(log);
        Poll.ignoringExceptions(id + " reports READY (see " + log + ")", READY_WITHIN,
                () -> Files.readString(out).startsWith("READY") || !process.isAlive());
        if (!process.isAlive()) {
            throw new IllegalStateException(id + " died while starting, exit " + process.exitValue() + ":\n"
                    + tail(log));
        }
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    boolean paused() {
        return paused && alive();
    }

    /** SIGKILL (Process.destroyForcibly on Linux), also of a stopped process; returns once it is gone. */
    void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            awaitExit();
        }
    }

    /** SIGTERM: the JVM runs its shutdown hooks, the node does not finish its work. */
    void terminate() throws IOException, InterruptedException {
        if (process != null) {
            resume();
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    private void awaitExit() throws InterruptedException {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(id + " (pid " + process.pid() + ") did not die within 30 s of SIGKILL");
        }
        paused = false;
    }

    /** SIGSTOP: the JVM freezes mid-instruction, its sockets stay open, its lease stops being renewed. */
    void pause() throws IOException, InterruptedException {
        signal("STOP");
        paused = true;
    }

    /** SIGCONT. */
    void resume() throws IOException, InterruptedException {
        if (paused()) {
            signal("CONT");
        }
        paused = false;
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " (" + id + ") failed");
        }
    }

    /** Deletes the acceptor's directory: the member's disk is lost. The member must be dead. */
    void wipe() throws IOException {
        if (alive()) {
            throw new IllegalStateException("wipe " + id + " while it runs");
        }
        Path data = dataDirectory();
        if (Files.exists(data)) {
            try (Stream<Path> files = Files.walk(data)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }

    /** How many lines of this member's logs (every incarnation) contain {@code text}. */
    long logLinesWith(String text) {
        return logCounters.computeIfAbsent(text, LineCounter::new).count(logs);
    }

    /** The transfer lines of every incarnation, in order. */
    List<List<String>> transferLines() {
        List<List<String>> all = new ArrayList<>();
        for (Path out : outputs) {
            all.add(lines(out));
        }
        return all;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String tail(Path file) {
        List<String> l = lines(file);
        return String.join("\n", l.subList(Math.max(0, l.size() - 40), l.size()));
    }

    @Override
    public String toString() {
        return id + (alive() ? " (pid " + process.pid() + (paused ? ", stopped" : "") + ")" : " (down)");
    }
}
