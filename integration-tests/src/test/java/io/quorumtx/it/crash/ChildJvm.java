package io.quorumtx.it.crash;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A running {@link TransferChild} JVM, seen through the lines it prints. A reader thread parses
 * stdout; the test waits for conditions on what was parsed (READY, so many acknowledged
 * transfers, the process's exit) with a deadline, never for a fixed time.
 */
final class ChildJvm implements AutoCloseable {
    private final ChildSpec spec;
    private final Process process;
    private final Path stderr;
    private final Thread reader;

    // Guarded by this; the reader thread writes, the test reads, notifyAll on every change.
    private boolean ready;
    private boolean done;
    private boolean eof;
    private final Set<String> acknowledged = new LinkedHashSet<>();
    private final Map<String, String> transferOfGtrid = new HashMap<>();
    private String crashPoint;
    private String crashGtrid;
    private final StringBuilder transcript = new StringBuilder();

    private ChildJvm(ChildSpec spec, Process process, Path stderr) {
        this.spec = spec;
        this.process = process;
        this.stderr = stderr;
        this.reader = new Thread(this::readStdout, "child-stdout-" + spec.runId());
        reader.setDaemon(true);
        reader.start();
    }

    static ChildJvm start(ChildSpec spec) throws IOException {
        Path stderr = spec.dir().resolve("child-" + spec.runId() + ".err");
        Process process = new ProcessBuilder(Jvm.command(TransferChild.class.getName(), spec.toArgs()))
                .redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
        return new ChildJvm(spec, process, stderr);
    }

    private void readStdout() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                parse(line);
            }
        } catch (IOException e) {
            // The pipe breaks when the child dies: that is the end of its output.
        } finally {
            synchronized (this) {
                eof = true;
                notifyAll();
            }
        }
    }

    private synchronized void parse(String line) {
        transcript.append(line).append('\n');
        String[] f = line.split(" ", 3);
        switch (f[0]) {
            case "READY" -> ready = true;
            case "DONE" -> done = true;
            case "TX" -> {
                if (f.length == 3) {
                    transferOfGtrid.put(f[2], f[1]);
                }
            }
            case "OK" -> {
                // Only a complete line counts: a line cut short by the death ends before " .".
                if (f.length == 3 && f[2].equals(".")) {
                    acknowledged.add(f[1]);
                }
            }
            case "CRASH" -> {
                if (f.length == 3) {
                    crashPoint = f[1];
                    crashGtrid = f[2];
                }
            }
            default -> { }
        }
        notifyAll();
    }

    /** Waits until {@code condition} holds on this child; fails naming {@code what} and the child's output. */
    synchronized void await(String what, Duration within, Predicate<ChildJvm> condition) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.test(this)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("Timed out after " + within + " waiting for the child to " + what
                        + describe());
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    void awaitReady(Duration within) throws InterruptedException {
        await("report READY", within, c -> c.ready || c.eof);
        if (!isReady()) {
            throw new AssertionError("The child died before it was ready" + describe());
        }
    }

    /** Waits for the process to end and for its last lines to be read; returns the exit status. */
    int awaitExit(Duration within) throws InterruptedException {
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("The child did not exit within " + within + describe());
        }
        reader.join(within.toMillis());
        return process.exitValue();
    }

    /** SIGKILL on Linux: the JVM gets no chance to run shutdown hooks or flush anything. */
    void kill() {
        process.destroyForcibly();
    }

    synchronized boolean isReady() {
        return ready;
    }

    synchronized boolean isDone() {
        return done;
    }

    synchronized int acknowledgedCount() {
        return acknowledged.size();
    }

    synchronized Set<String> acknowledged() {
        return Set.copyOf(acknowledged);
    }

    synchronized String crashPoint() {
        return crashPoint;
    }

    /** The transfer id of the transaction inside whose commit the JVM halted, or null. */
    synchronized String crashedTransfer() {
        return crashGtrid == null ? null : transferOfGtrid.get(crashGtrid);
    }

    /** Transfer id to the gtrid it ran as, for every transfer this child began. */
    synchronized Map<String, String> gtrids() {
        Map<String, String> byTransfer = new HashMap<>();
        transferOfGtrid.forEach((gtrid, transfer) -> byTransfer.put(transfer, gtrid));
        return byTransfer;
    }

    synchronized String crashGtrid() {
        return crashGtrid;
    }

    ChildSpec spec() {
        return spec;
    }

    /** The child's command line arguments and its output, for failure messages. */
    synchronized String describe() {
        String err;
        try {
            err = Files.exists(stderr) ? Files.readString(stderr) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String out = transcript.length() > 4000 ? "..." + transcript.substring(transcript.length() - 4000)
                : transcript.toString();
        return "\n  child args: " + spec.toArgs() + "\n  stdout:\n" + out + "\n  stderr:\n"
                + (err.length() > 4000 ? "..." + err.substring(err.length() - 4000) : err);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
