package io.quorumtx.recovery.cli;

import io.quorumtx.jdbc.dblog.DatabaseCommitLog;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.recovery.config.DatabaseLogConfig;
import io.quorumtx.recovery.config.ToolConfig;
import io.quorumtx.tm.log.BranchRecord;
import io.quorumtx.tm.log.CommitLog;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import io.quorumtx.tm.log.Decision;
import io.quorumtx.tm.recovery.OwnerLiveness;
import java.util.List;

/**
 * Scan and resolve against the database commit log ({@code log.type=database}): the tool opens
 * the log's tables over JDBC as one more node would, without registering an incarnation.
 *
 * <p>Why no lock and no node id: the database log is safe without either. Resolve settles an
 * undecided transaction by inserting its ABORT row; the primary key makes a coordinator's own
 * COMMIT insert fail (or wait, then fail), so the tool and a live coordinator never decide
 * differently. Leases only keep the tool from aborting a live node's young transactions: an owner
 * with a live lease (by the database's clock, in the log's nodes table) is left to its own
 * recovery manager; one whose lease lapsed is gone, and its undecided branches are rolled back
 * after the ABORT row is in. Scan reads only: it never inserts a row.
 */
final class DatabaseLogSetup implements AutoCloseable {
    final DatabaseLogConfig config;
    final DatabaseCommitLog log;

    private DatabaseLogSetup(DatabaseLogConfig config, DatabaseCommitLog log) {
        this.config = config;
        this.log = log;
    }

    /** Opens the log's tables (never creating them); a missing table or a failed login is bad input. */
    static DatabaseLogSetup open(ToolConfig toolConfig, CliContext context) {
        DatabaseLogConfig config = toolConfig.databaseLog().orElseThrow();
        String password = password(config, toolConfig, context);
        try {
            DatabaseCommitLog log = DatabaseCommitLog.builder(new DriverDataSource(config.url(), config.user(), password),
                    dialect(config.dialect())).tablePrefix(config.tablePrefix()).createTables(false).build();
            return new DatabaseLogSetup(config, log);
        } catch (CommitLogException | IllegalArgumentException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, context.scrub("The database commit log at "
                    + config.maskedUrl() + " (" + DatabaseLogConfig.URL + " in " + toolConfig.source()
                    + ") cannot be opened: " + e.getMessage() + ". Check " + DatabaseLogConfig.URL + ", "
                    + DatabaseLogConfig.USER + ", " + DatabaseLogConfig.PASSWORD_ENV + " and "
                    + DatabaseLogConfig.TABLE_PREFIX + ". Nothing was changed."), e);
        }
    }

    private static String password(DatabaseLogConfig config, ToolConfig toolConfig, CliContext context) {
        if (config.passwordEnv().isPresent()) {
            String variable = config.passwordEnv().get();
            String value = context.env(variable);
            if (value != null) {
                context.secret(value);
                return value;
            }
            if (!context.prompter().interactive()) {
                throw new ToolException(ExitCodes.BAD_INPUT, DatabaseLogConfig.PASSWORD_ENV + " in "
                        + toolConfig.source() + " names the environment variable " + variable + ", which is not set;"
                        + " export it (or run the tool at a terminal to be asked)");
            }
        } else if (!context.prompter().interactive()) {
            return "";
        }
        char[] typed = context.prompter().readPassword("Password for the commit log's database"
                + (config.user().isEmpty() ? "" : " (user " + config.user() + ")") + ", Enter for none: ");
        String value = typed == null ? "" : new String(typed);
        context.secret(value);
        return value;
    }

    static Dialect dialect(String name) {
        return switch (name) {
            case "h2" -> Dialect.h2();
            case "postgresql" -> Dialect.postgresql();
            case "mysql", "mariadb" -> Dialect.mysql();
            default -> throw new IllegalStateException("validated by DatabaseLogConfig: " + name);
        };
    }

    /** An owner holding a live lease may still decide; one whose lease lapsed is gone. */
    OwnerLiveness liveness() {
        return new OwnerLiveness() {
            @Override
            public boolean mayStillDecide(String ownerNode, String gtrid) {
                return !log.isOwnerLeaseLapsed(ownerNode);
            }

            @Override
            public boolean isGone(String ownerNode, String gtrid) {
                return log.isOwnerLeaseLapsed(ownerNode);
            }

            @Override
            public String whyItMayStillDecide(String ownerNode, String gtrid) {
                return "owned by node " + ownerNode + ", which holds a live lease in the database commit log (or its"
                        + " lease cannot be read now): its own recovery manager will finish it";
            }
        };
    }

    /** The label of the log in the output: its masked URL and table prefix. */
    String label() {
        return "database:" + config.maskedUrl() + " (tables " + config.tablePrefix() + "_*)";
    }

    String describeLog() {
        return "Database commit log " + config.maskedUrl() + ", tables " + config.tablePrefix() + "_*: owners with a"
                + " live lease are left to their own recovery";
    }

    /** The same log seen read-only, for scan and dry runs: it answers questions and writes nothing. */
    CommitLog readOnly() {
        return new CommitLog() {
            @Override
            public void logCommit(CommitRecord record) {
                throw new UnsupportedOperationException("scan and --dry-run do not write to the database commit log");
            }

            @Override
            public void logEnd(String gtrid) {
                // advisory; a read-only run deletes no row
            }

            @Override
            public void logEndForced(String gtrid) {
                throw new UnsupportedOperationException("scan and --dry-run do not write to the database commit log");
            }

            @Override
            public void logBranchDone(String gtrid, BranchRecord branch) {
                throw new UnsupportedOperationException("scan and --dry-run do not write to the database commit log");
            }

            @Override
            public boolean isBranchDone(String gtrid, BranchRecord branch) {
                return log.isBranchDone(gtrid, branch);
            }

            @Override
            public Decision decision(String gtrid) {
                return log.decision(gtrid);
            }

            @Override
            public boolean isOwnerLeaseLapsed(String nodeId) {
                return log.isOwnerLeaseLapsed(nodeId);
            }

            @Override
            public boolean settlesInDoubt() {
                return true; // the plan then says that resolve settles first (ABORT row, or the COMMIT that won)
            }

            @Override
            public List<CommitRecord> unfinished() {
                return log.unfinished();
            }

            @Override
            public void close() {
                // the setup closes the log
            }
        };
    }

    @Override
    public void close() {
        log.close();
    }
}
