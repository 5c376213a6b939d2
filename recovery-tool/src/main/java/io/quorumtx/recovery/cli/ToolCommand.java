package io.quorumtx.recovery.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/** What every tool command shares: its {@link CliContext} and {@code --verbose}. */
public abstract class ToolCommand implements Callable<Integer> {
    protected final CliContext context;

    @Option(names = "--verbose", description = "On failure, also print the stack trace.")
    boolean verbose;

    protected ToolCommand(CliContext context) {
        this.context = context;
    }

    public boolean verbose() {
        return verbose;
    }

    /** Whether stdout is JSON, so a failure is reported there as a JSON document too. */
    public boolean jsonOutput() {
        return false;
    }
}
