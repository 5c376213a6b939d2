package io.quorumtx.recovery.cli;

import java.io.PrintStream;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Everything a command takes from its surroundings: where output goes, the environment (for
 * passwords), the operator (for prompts) and whether stderr is a terminal (for progress). Passed
 * in rather than read from {@code System}, so a test runs the real command line in-process with
 * its own environment, and no test ever mutates the process environment.
 *
 * <p>It also remembers the secrets this run has learned, so that every message printed on the
 * way out can be scrubbed of them, whatever a driver put into an exception text.
 */
public final class CliContext {
    private final PrintStream out;
    private final PrintStream err;
    private final Function<String, String> env;
    private final Prompter prompter;
    private final boolean stderrTerminal;
    private final Set<String> secrets = ConcurrentHashMap.newKeySet();

    public CliContext(PrintStream out, PrintStream err, Function<String, String> env, Prompter prompter,
                      boolean stderrTerminal) {
        this.out = Objects.requireNonNull(out, "out");
        this.err = Objects.requireNonNull(err, "err");
        this.env = Objects.requireNonNull(env, "env");
        this.prompter = Objects.requireNonNull(prompter, "prompter");
        this.stderrTerminal = stderrTerminal;
    }

    /** The real process: System.out/err, System.getenv, the console if there is one. */
    public static CliContext system() {
        return new CliContext(System.out, System.err, System::getenv, Prompter.system(), Prompter.terminal() != null);
    }

    public PrintStream out() {
        return out;
    }

    public PrintStream err() {
        return err;
    }

    /** The value of an environment variable, or null. */
    public String env(String name) {
        return env.apply(name);
    }

    public Prompter prompter() {
        return prompter;
    }

    public boolean stderrTerminal() {
        return stderrTerminal;
    }

    /** Remembers a secret so {@link #scrub} removes it from anything printed. Empty strings are ignored. */
    public void secret(String value) {
        if (value != null && value.length() >= 1) {
            secrets.add(value);
        }
    }

    /** {@code text} with every known secret replaced by {@code ***}. */
    public String scrub(String text) {
        if (text == null) {
            return null;
        }
        String result = text;
        for (String secret : secrets) {
            result = result.replace(secret, "***");
        }
        return result;
    }
}
