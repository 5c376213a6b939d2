package io.quorumtx.recovery.cli;

import java.io.Console;

/**
 * Questions to the operator at a terminal: passwords that are not in the environment, and the
 * "type yes" confirmation of an override. Behind an interface so tests can answer, and so the
 * tool never waits for input that cannot come (no console: {@link #interactive()} is false).
 */
public interface Prompter {

    /** Whether an operator can answer (a console is attached). */
    boolean interactive();

    /** One line typed by the operator, or null at end of input. */
    String readLine(String prompt);

    /** A password typed without echo, or null at end of input. */
    char[] readPassword(String prompt);

    /** The process's console, or a prompter that is not interactive when there is none. */
    static Prompter system() {
        Console console = terminal();
        if (console == null) {
            return none();
        }
        return new Prompter() {
            @Override
            public boolean interactive() {
                return true;
            }

            @Override
            public String readLine(String prompt) {
                return console.readLine("%s", prompt);
            }

            @Override
            public char[] readPassword(String prompt) {
                return console.readPassword("%s", prompt);
            }
        };
    }

    /**
     * The console if stdin and stdout are a terminal. Before Java 22 that is exactly when
     * {@code System.console()} is non-null; from 22 on it may also be returned for redirected
     * streams, so {@code Console.isTerminal()} is asked where it exists.
     */
    @SuppressWarnings("SystemConsoleNull") // Java 17 target: null means no terminal here; Console.isTerminal() (Java 22) is not available
    static Console terminal() {
        Console console = System.console();
        if (console == null) {
            return null;
        }
        try {
            Object terminal = Console.class.getMethod("isTerminal").invoke(console);
            return Boolean.TRUE.equals(terminal) ? console : null;
        } catch (NoSuchMethodException e) {
            return console;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** No operator present: every question must be answered some other way. */
    static Prompter none() {
        return new Prompter() {
            @Override
            public boolean interactive() {
                return false;
            }

            @Override
            public String readLine(String prompt) {
                return null;
            }

            @Override
            public char[] readPassword(String prompt) {
                return null;
            }
        };
    }
}
