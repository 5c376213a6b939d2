package io.quorumtx.recovery.testing;

import io.quorumtx.recovery.QuorumTxCli;
import io.quorumtx.recovery.cli.CliContext;
import io.quorumtx.recovery.cli.Prompter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs the real command line in-process with its own environment, console answers and captured output. */
public final class CliRun {
    private final Map<String, String> env = new HashMap<>();
    private final Deque<String> answers = new ArrayDeque<>();
    private boolean interactive;

    public static CliRun cli() {
        return new CliRun();
    }

    public CliRun env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** An operator at a console who types these lines, in order (passwords and confirmations alike). */
    public CliRun console(String... typed) {
        interactive = true;
        answers.addAll(List.of(typed));
        return this;
    }

    public Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> prompts = new java.util.ArrayList<>();
        Prompter prompter = new Prompter() {
            @Override
            public boolean interactive() {
                return interactive;
            }

            @Override
            public String readLine(String prompt) {
                prompts.add(prompt);
                return answers.poll();
            }

            @Override
            public char[] readPassword(String prompt) {
                prompts.add(prompt);
                String answer = answers.poll();
                return answer == null ? null : answer.toCharArray();
            }
        };
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        int exit = QuorumTxCli.run(new CliContext(o, e, env::get, prompter, false), args);
        o.flush();
        e.flush();
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), prompts);
    }

    public record Result(int exit, String out, String err, List<String> prompts) {
        public String all() {
            return out + err + String.join("", prompts);
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }
}
