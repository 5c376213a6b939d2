package io.quorumtx.recovery.cli;

import io.quorumtx.recovery.config.ConfigException;
import io.quorumtx.recovery.config.ToolConfig;
import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.LogInspection;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** Where the log commands find the log: {@code --log-dir DIR}, or the {@code log.directory} of {@code --config FILE}. */
final class LogSource {

    @ArgGroup(exclusive = true, multiplicity = "1")
    Choice choice;

    static final class Choice {
        @Option(names = "--log-dir", paramLabel = "DIR", description = "The commit log directory.")
        Path logDir;

        @Option(names = "--config", paramLabel = "FILE", description = "A recovery configuration; its log.directory is read.")
        Path config;
    }

    Path directory() {
        if (choice.logDir != null) {
            return choice.logDir;
        }
        try {
            return ToolConfig.load(choice.config).requireLogDirectory();
        } catch (ConfigException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, e.getMessage(), e);
        }
    }

    /** Reads the log without changing it; a missing or unreadable directory is bad input. */
    LogInspection inspect() {
        Path dir = directory();
        try {
            return LogInspection.read(dir);
        } catch (CommitLogException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, e.getMessage(), e);
        }
    }
}
