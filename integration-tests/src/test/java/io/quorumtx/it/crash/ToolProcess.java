package io.quorumtx.it.crash;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The recovery tool run the way an operator runs it: a separate JVM,
 * {@code quorumtx resolve --config <file> --yes}, configured by a properties file that names the
 * commit log and each database under the resource name the application used.
 */
final class ToolProcess {
    private ToolProcess() {
    }

    record Result(int exitCode, String output) {}

    static Path writeConfig(Path dir, List<Backend> backends, List<Wrapping> wrappings) throws IOException {
        StringBuilder config = new StringBuilder();
        config.append("log.directory=").append(escape(BankFiles.logDirectory(dir).toAbsolutePath().toString()))
                .append('\n');
        for (int i = 0; i < wrappings.size(); i++) {
            String name = BankFiles.NAMES.get(i);
            String prefix = "database." + name + ".";
            Backend backend = backends.get(i);
            config.append(prefix).append("url=").append(escape(backend.url(dir, name))).append('\n');
            config.append(prefix).append("user=").append(backend.user()).append('\n');
            // The tool reaches each database the way the application did, so it reads the branch
            // names that wrapping wrote.
            if (wrappings.get(i) == Wrapping.XA) {
                config.append(prefix).append("xa-data-source=")
                        .append(backend.xaDataSource(backend.url(dir, name)).getClass().getName()).append('\n');
            } else {
                config.append(prefix).append("dialect=").append(backend.toolDialect()).append('\n');
            }
        }
        Path file = dir.resolve("recovery.properties");
        Files.writeString(file, config, StandardCharsets.UTF_8);
        return file;
    }

    /** Runs {@code quorumtx <args>} in its own JVM and waits for it, at most {@code within}. */
    static Result run(Path dir, Duration within, String... args) throws IOException, InterruptedException {
        Path output = Files.createTempFile(dir, "tool-", ".out");
        List<String> toolArgs = new ArrayList<>(List.of(args));
        List<String> command = command(toolArgs);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("quorumtx " + toolArgs + " did not finish within " + within + ":\n"
                    + Files.readString(output));
        }
        String ran = command.contains("-jar") ? "java -jar quorumtx.jar" : "java -cp <test class path> QuorumTxCli";
        return new Result(process.exitValue(), "(" + ran + " " + String.join(" ", toolArgs) + ")\n"
                + Files.readString(output));
    }

    /**
     * {@code java -jar quorumtx.jar} when the build has made a current one (the artifact users run,
     * shading included); otherwise the tool's main class from this test's class path.
     */
    static List<String> command(List<String> toolArgs) {
        Path jar = Path.of("..", "recovery-tool", "target", "quorumtx.jar").toAbsolutePath().normalize();
        Path classes = Path.of("..", "recovery-tool", "target", "classes", "io", "quorumtx", "recovery",
                "QuorumTxCli.class");
        try {
            if (Files.isRegularFile(jar) && Files.isRegularFile(classes)
                    && Files.getLastModifiedTime(jar).compareTo(Files.getLastModifiedTime(classes)) >= 0) {
                List<String> command = new ArrayList<>(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString()));
                command.addAll(toolArgs);
                return command;
            }
        } catch (IOException e) {
            // Cannot tell whether the jar is current: use the class path.
        }
        return Jvm.command("io.quorumtx.recovery.QuorumTxCli", toolArgs);
    }

    private static String escape(String value) {
        // java.util.Properties treats backslashes as escapes (Windows paths).
        return value.replace("\\", "\\\\");
    }
}
