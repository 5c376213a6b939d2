package io.quorumtx.recovery.cli;

import picocli.CommandLine.Command;

/** {@code quorumtx locks}: the database locks of one configured database. */
@Command(
        name = "locks",
        mixinStandardHelpOptions = true,
        description = "List or break the distributed locks kept in a configured database's lock table.",
        subcommands = {LocksListCommand.class, LocksBreakCommand.class})
public final class LocksCommand {
}
