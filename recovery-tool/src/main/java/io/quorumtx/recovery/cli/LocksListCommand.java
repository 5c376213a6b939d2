package io.quorumtx.recovery.cli;

import io.quorumtx.jdbc.lock.DatabaseLockService;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code quorumtx locks list}: every lock with its holder, token and lease end by the database's clock. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "Show each lock: holder, fencing token, and when its lease ends by the database's clock.")
public final class LocksListCommand extends ToolCommand {
    @Mixin
    LockTableOptions where;

    public LocksListCommand(CliContext context) {
        super(context);
    }

    @Override
    public Integer call() {
        List<DatabaseLockService.LockInfo> locks;
        try (DatabaseLockService service = where.open(context)) {
            locks = service.list();
        } catch (IllegalStateException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, context.scrub(e.getMessage()), e);
        }
        PrintStream out = context.out();
        out.printf("Locks in table %s of database %s: %d%n", where.table, where.database, locks.size());
        if (!locks.isEmpty()) {
            out.printf("  %-32s %-8s %-40s %8s  %s%n", "NAME", "STATE", "HOLDER", "TOKEN", "LEASE ENDS (DATABASE CLOCK)");
        }
        for (DatabaseLockService.LockInfo l : locks) {
            String lease = l.leaseUntil().map(u -> u + " (" + describe(Duration.between(l.databaseNow(), u)) + ")")
                    .orElse("-");
            out.printf("  %-32s %-8s %-40s %8d  %s%n", l.name(), l.held() ? "HELD" : l.owner().isPresent() ? "EXPIRED"
                    : "FREE", l.owner().orElse("-"), l.token(), lease);
        }
        return ExitCodes.OK;
    }

    private static String describe(Duration left) {
        long ms = left.toMillis();
        return ms >= 0 ? "in " + ms / 1000.0 + " s" : (-ms) / 1000.0 + " s ago";
    }
}
