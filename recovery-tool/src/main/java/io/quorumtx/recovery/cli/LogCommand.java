package io.quorumtx.recovery.cli;

import picocli.CommandLine.Command;

/** {@code quorumtx log}: the commit log, read without being changed. */
@Command(
        name = "log",
        mixinStandardHelpOptions = true,
        description = "Inspect a commit log without changing it (safe on the log of a running node).",
        subcommands = {LogDumpCommand.class, LogVerifyCommand.class})
public final class LogCommand {
}
