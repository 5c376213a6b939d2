package io.quorumtx.recovery.cli;

import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.lock.DatabaseLockService;
import io.quorumtx.recovery.config.DatabaseConfig;
import io.quorumtx.recovery.config.ToolConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the locks are: a database of the configuration (it needs a dialect) and the table. */
final class LockTableOptions {
    @Option(names = "--config", paramLabel = "FILE", required = true, description = "The tool's configuration (properties).")
    Path config;

    @Option(names = "--database", paramLabel = "NAME", required = true,
            description = "The configured database (database.NAME.*) that keeps the lock table; it needs a dialect.")
    String database;

    @Option(names = "--table", paramLabel = "TABLE", defaultValue = DatabaseLockService.DEFAULT_TABLE,
            description = "The lock table (default ${DEFAULT-VALUE}).")
    String table;

    /** The lock service over that table; it must exist (nothing is created by the tool). */
    DatabaseLockService open(CliContext context) {
        ToolConfig cfg = RecoverySetup.loadConfig(config);
        DatabaseConfig db = cfg.databases().stream().filter(d -> d.name().equals(database)).findFirst()
                .orElseThrow(() -> new ToolException(ExitCodes.BAD_INPUT, "No database '" + database + "' in "
                        + cfg.source() + "; configured: " + cfg.databases().stream().map(DatabaseConfig::name).toList()));
        if (db.dialect().isEmpty()) {
            throw new ToolException(ExitCodes.BAD_INPUT, "Database '" + database + "' has no dialect in "
                    + cfg.source() + " (" + db.key("dialect") + "): the lock commands run the dialect's SQL");
        }
        Dialect dialect = switch (db.dialect().get()) {
            case "h2" -> Dialect.h2();
            case "postgresql" -> Dialect.postgresql();
            default -> Dialect.mysql();
        };
        DriverDataSource ds = new DriverDataSource(db.url(), db.user(), Databases.password(db, context));
        try {
            return DatabaseLockService.builder(ds, dialect).table(table).createTable(false).watchdog(false).build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, context.scrub(e.getMessage()) + ". Nothing was changed.", e);
        }
    }
}
