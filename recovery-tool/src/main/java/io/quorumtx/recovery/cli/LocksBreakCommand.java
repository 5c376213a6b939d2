package io.quorumtx.recovery.cli;

import io.quorumtx.jdbc.lock.DatabaseLockService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code quorumtx locks break NAME}: frees a lock whoever holds it, after the operator confirms.
 * The holder is not told; its next renewal or release fails with LockLostException, and writes
 * fenced by its token lose to the next holder's.
 */
@Command(name = "break", mixinStandardHelpOptions = true,
        description = "Release a lock for an operator, whoever holds it (asks for confirmation unless --yes).")
public final class LocksBreakCommand extends ToolCommand {
    @Mixin
    LockTableOptions where;

    @Parameters(paramLabel = "NAME", description = "The lock to release.")
    String name;

    @Option(names = "--yes", description = "Do not ask for confirmation.")
    boolean yes;

    public LocksBreakCommand(CliContext context) {
        super(context);
    }

    @Override
    public Integer call() {
        try (DatabaseLockService service = where.open(context)) {
            DatabaseLockService.LockInfo lock = service.list().stream().filter(l -> l.name().equals(name)).findFirst()
                    .orElseThrow(() -> new ToolException(ExitCodes.BAD_INPUT, "No lock '" + name + "' in table "
                            + where.table + " of database " + where.database + ". Nothing was changed."));
            if (!yes) {
                if (!context.prompter().interactive()) {
                    throw new ToolException(ExitCodes.BAD_INPUT, "Refusing to break lock '" + name + "' without"
                            + " confirmation: there is no console to ask. Add --yes. Nothing was changed.");
                }
                String answer = context.prompter().readLine("Lock '" + name + "' is " + (lock.held() ? "held by "
                        + lock.owner().orElse("?") + " (token " + lock.token() + ")" : "not held")
                        + ". Its holder will lose it. Type yes to break it: ");
                if (answer == null || !answer.trim().equals("yes")) {
                    throw new ToolException(ExitCodes.IN_DOUBT, "Not confirmed; nothing was changed.");
                }
            }
            service.breakLock(name);
            context.out().println("Lock '" + name + "' released (it was " + (lock.held() ? "held by "
                    + lock.owner().orElse("?") + " with token " + lock.token() : "not held")
                    + "); the next grant gets a higher token.");
            return ExitCodes.OK;
        } catch (IllegalStateException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, context.scrub(e.getMessage()), e);
        }
    }
}
