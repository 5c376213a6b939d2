package io.quorumtx.recovery.demo;

import java.io.File;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.recovery.QuorumTxCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {

    /**
     * As the README runs it: {@code java -jar recovery-tool/target/quorumtx.jar demo}, a class path
     * relative to the current directory. The application JVM runs in the demo's own directory, so
     * it once got the relative class path as it was and found no classes ("Could not find or load
     * main class io.quorumtx.recovery.demo.DemoBankJvm", exit 2).
     */
    @Test
    void theDemoWorksWithAClassPathRelativeToTheCurrentDirectory(@TempDir Path dir) throws Exception {
        Path cwd = Path.of("").toAbsolutePath();
        String relative = Arrays.stream(System.getProperty("java.class.path").split(Pattern.quote(File.pathSeparator)))
                .filter(e -> !e.isEmpty()).map(e -> cwd.relativize(Path.of(e).toAbsolutePath()).toString())
                .collect(Collectors.joining(File.pathSeparator));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process demo = new ProcessBuilder(java, "-cp", relative, QuorumTxCli.class.getName(), "demo", "--dir",
                dir.toString(), "--transfers", "2").directory(cwd.toFile()).redirectErrorStream(true).start();
        byte[] output;
        try (var in = demo.getInputStream()) {
            output = in.readAllBytes(); // ends when the demo's JVM ends
        }
        assertThat(demo.waitFor(120, TimeUnit.SECONDS)).as("the demo ended").isTrue();
        String text = new String(output, StandardCharsets.UTF_8);
        assertThat(demo.exitValue()).as(text).isZero();
        assertThat(text).contains("Killed the application JVM with SIGKILL").contains("-> OK");
    }

    /** The README's first command unchanged (local log), and {@code --log database}. */
    @ParameterizedTest
    @ValueSource(strings = {"local", "database"})
    void demoKillsTheApplicationMidCommitAndRecoveryLeavesEveryTransferInBothDatabasesOrNeither(String log,
            @TempDir Path dir) throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int exit;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            exit = log.equals("local") ? QuorumTxCli.run("demo", "--dir", dir.toString(), "--transfers", "4")
                    : QuorumTxCli.run("demo", "--dir", dir.toString(), "--transfers", "4", "--log", "database");
        } finally {
            System.setOut(previous);
        }
        String output = captured.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(output).isZero();
        assertThat(output).contains("Killed the application JVM with SIGKILL").contains("-> OK");
        if (log.equals("database")) {
            assertThat(output).contains("working directory").contains("(exists: false)").contains("demo-2")
                    .contains("nothing left in doubt");
            assertThat(dir.resolve("node-demo")).as("the crashed node's working directory").doesNotExist();
            assertThat(dir.resolve("txlog")).as("no local commit log").doesNotExist();
        }

        // The databases the demo left behind, read directly: 4000 in total, nothing in doubt, the
        // same transfers in both. Y's commit record was durable when the JVM died between its
        // phase-2 commits, so it must be in both; X died before its commit record, so in neither.
        long total = 0;
        for (String bank : new String[] {"bank-a", "bank-b"}) {
            String url = "jdbc:h2:file:" + dir.resolve(bank).toAbsolutePath() + ";WRITE_DELAY=0";
            try (Connection c = DriverManager.getConnection(url, "sa", "");
                    Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.IN_DOUBT")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("in-doubt branches in " + bank + "\n" + output).isZero();
                }
                try (ResultSet rs = s.executeQuery("SELECT SUM(balance) FROM account")) {
                    rs.next();
                    total += rs.getLong(1);
                }
                Set<String> transfers = new TreeSet<>();
                try (ResultSet rs = s.executeQuery("SELECT id FROM transfer_log")) {
                    while (rs.next()) {
                        transfers.add(rs.getString(1));
                    }
                }
                assertThat(transfers).as("transfers committed in " + bank + "\n" + output)
                        .containsExactlyInAnyOrder("t1", "t2", "t3", "t4", "Y");
            }
        }
        assertThat(total).as(output).isEqualTo(4000);
    }
}
