package io.quorumtx.it.messaging;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.quorumtx.it.crash.Jvm;

/**
 * A forked {@link RelayChild} JVM, seen through the lines it prints; the test waits on them with
 * a deadline and ends the JVM with SIGKILL ({@link Process#destroyForcibly()}): no shutdown hook,
 * no flush, no delete of rows already confirmed.
 */
final class RelayProcess implements AutoCloseable {
    private final List<String> args;
    private final Process process;
    private final Path stderr;
    private final List<String> lines = new ArrayList<>(); // guarded by this, notifyAll on change
    private boolean eof;

    private RelayProcess(List<String> args, Process process, Path stderr) {
        this.args = args;
        this.process = process;
        this.stderr = stderr;
        Thread reader = new Thread(this::read, "relay-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    static RelayProcess start(Path dir, String name, List<String> args) throws IOException {
        Path stderr = dir.resolve(name + ".err");
        Process p = new ProcessBuilder(Jvm.command(RelayChild.class.getName(), args))
                .redirectError(stderr.toFile()).start();
        return new RelayProcess(List.copyOf(args), p, stderr);
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                synchronized (this) {
                    lines.add(line);
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // The pipe breaks when the JVM dies: that is the end of its output.
        } finally {
            synchronized (this) {
                eof = true;
                notifyAll();
            }
        }
    }

    /** Waits for a line starting with {@code prefix}; returns it. Fails if the JVM ends first or time runs out. */
    synchronized String awaitLine(String prefix, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            for (String l : lines) {
                if (l.startsWith(prefix)) {
                    return l;
                }
            }
            long left = deadline - System.nanoTime();
            if (eof || left <= 0) {
                throw new AssertionError((eof ? "the relay JVM ended" : "timed out after " + within)
                        + " before printing " + prefix + describe());
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** SIGKILL, and waits until the process is gone, so its connections are closed by the kernel. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the relay JVM survived SIGKILL for 30 s" + describe());
        }
    }

    synchronized String describe() {
        String err;
        try {
            err = Files.exists(stderr) ? Files.readString(stderr) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "\n  relay args: " + args + "\n  stdout: " + lines + "\n  stderr:\n"
                + (err.length() > 4000 ? "..." + err.substring(err.length() - 4000) : err);
    }

    /** SIGKILL if still alive (a test that failed midway); does not wait. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
