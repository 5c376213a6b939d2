package io.quorumtx.examples.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.tm.QuorumTransactionManager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Kills the bank application's JVM in the middle of commits and starts it again: the restarted
 * application's start-up recovery must have finished the interrupted commit before
 * {@code SpringApplication.run} returns — the money conserved, every acknowledged transfer in
 * both databases, the transfer that died after its COMMIT record committed in both, and nothing
 * left in doubt in either database.
 */
class BankCrashTest {
    private static final long CHILD_DEADLINE_SECONDS = 180;

    @TempDir
    Path dir;

    @Test
    void theNextStartRecoversACommitKilledAfterItsDecision() throws Exception {
        List<String> props = List.of(
                "--bank.a.jdbc-url=jdbc:h2:file:" + dir.resolve("bank-a") + ";WRITE_DELAY=0",
                "--bank.b.jdbc-url=jdbc:h2:file:" + dir.resolve("bank-b") + ";WRITE_DELAY=0",
                "--quorumtx.log.directory=" + dir.resolve("txlog"),
                "--quorumtx.node-id=bank-crash",
                "--bank.accounts=" + BankScenarios.ACCOUNTS,
                "--bank.initial-balance=" + BankScenarios.INITIAL,
                "--spring.main.banner-mode=off",
                "--logging.level.root=WARN");

        ChildRun run = runChild(props, 12);

        assertThat(run.exitCode).as("the child halted at the crash point; its output:%n%s", run.output)
                .isEqualTo(CrashingBank.CRASH_EXIT);
        assertThat(run.crashedId).isNotNull();
        assertThat(run.acknowledged).isNotEmpty();

        ConfigurableApplicationContext restarted = new SpringApplicationBuilder(BankApplication.class)
                .web(WebApplicationType.NONE)
                .run(props.toArray(String[]::new));
        try {
            JdbcTemplate bankA = restarted.getBean("bankAJdbc", JdbcTemplate.class);
            JdbcTemplate bankB = restarted.getBean("bankBJdbc", JdbcTemplate.class);
            // Checked as soon as run() returned: start-up recovery must already be done.
            assertThat(inDoubt(bankA)).as("prepared branches left in bank A").isZero();
            assertThat(inDoubt(bankB)).as("prepared branches left in bank B").isZero();
            assertThat(restarted.getBean(TransferService.class).totalMoney())
                    .isEqualTo(2L * BankScenarios.ACCOUNTS * BankScenarios.INITIAL);
            Set<String> inA = new HashSet<>(BankScenarios.transferIds(bankA));
            Set<String> inB = new HashSet<>(BankScenarios.transferIds(bankB));
            assertThat(inA).as("every transfer in both banks or in neither").isEqualTo(inB);
            assertThat(inA).as("acknowledged transfers survive").containsAll(run.acknowledged);
            assertThat(inA).as("the transfer killed after its COMMIT record is committed by recovery")
                    .contains(run.crashedId);
            assertThat(restarted.getBean(QuorumTransactionManager.class).recover().nothingInDoubt()).isTrue();
        } finally {
            restarted.close();
        }
    }

    private static long inDoubt(JdbcTemplate bank) {
        Long n = bank.queryForObject("SELECT COUNT(*) FROM INFORMATION_SCHEMA.IN_DOUBT", Long.class);
        return n == null ? -1 : n;
    }

    private record ChildRun(int exitCode, String crashedId, Set<String> acknowledged, String output) {
    }

    private ChildRun runChild(List<String> props, int crashAtHit) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(CrashingBank.class.getName());
        command.add(Integer.toString(crashAtHit));
        command.add("3");
        command.add("400");
        command.addAll(props);
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder output = new StringBuilder();
        Set<String> acknowledged = new HashSet<>();
        String crashed = null;
        Thread reader = Thread.currentThread();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            Thread watchdog = new Thread(() -> {
                try {
                    if (!child.waitFor(CHILD_DEADLINE_SECONDS, TimeUnit.SECONDS)) {
                        child.destroyForcibly(); // SIGKILL: the test then fails on the exit code
                    }
                } catch (InterruptedException e) {
                    reader.interrupt();
                }
            }, "crash-child-deadline");
            watchdog.setDaemon(true);
            watchdog.start();
            String line;
            while ((line = in.readLine()) != null) {
                output.append(line).append('\n');
                if (line.startsWith("OK ") && line.endsWith(" .")) {
                    acknowledged.add(line.substring(3, line.length() - 2));
                } else if (line.startsWith("CRASH ")) {
                    crashed = line.substring(6).trim();
                }
            }
        }
        int exit = child.waitFor(CHILD_DEADLINE_SECONDS, TimeUnit.SECONDS) ? child.exitValue() : -1;
        Files.writeString(Path.of("target", "bank-crash-child.log"), output);
        return new ChildRun(exit, crashed, acknowledged, tail(output));
    }

    private static String tail(StringBuilder output) {
        return output.length() > 4000 ? output.substring(output.length() - 4000) : output.toString();
    }
}
