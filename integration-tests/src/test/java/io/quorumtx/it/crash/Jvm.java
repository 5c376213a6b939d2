package io.quorumtx.it.crash;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Command lines for child JVMs that run classes from this test's own class path. */
public final class Jvm {
    private Jvm() {
    }

    /**
     * {@code java -cp <this JVM's class path> mainClass args}. Surefire puts the test class path
     * (test classes, every module's classes, all dependencies) in {@code java.class.path}.
     */
    public static List<String> command(String mainClass, List<String> args) {
        return command(List.of(), mainClass, args);
    }

    /** As {@link #command(String, List)}, with extra JVM options ({@code -Dkey=value}, ...) before the class. */
    public static List<String> command(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Small, quick-starting JVMs: the machine is shared and the children live for seconds.
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        return command;
    }
}
