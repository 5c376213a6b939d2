package io.quorumtx.recovery;

import io.quorumtx.recovery.cli.CliContext;
import io.quorumtx.recovery.cli.ExitCodes;
import io.quorumtx.recovery.cli.LocksCommand;
import io.quorumtx.recovery.cli.LogCommand;
import io.quorumtx.recovery.cli.ResolveCommand;
import io.quorumtx.recovery.cli.ScanCommand;
import io.quorumtx.recovery.cli.ToolCommand;
import io.quorumtx.recovery.cli.ToolException;
import io.quorumtx.recovery.demo.DemoCommand;
import io.quorumtx.recovery.output.FailureView;
import io.quorumtx.recovery.output.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Constructor;
import java.nio.charset.Charset;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code quorumtx.jar}. Each subcommand is its own class; this one only wires
 * them together so {@code java -jar quorumtx.jar --help} lists everything an operator can do.
 *
 * <p>Commands get their surroundings (output streams, environment, console) from a
 * {@link CliContext} through picocli's factory, so {@link #run(CliContext, String...)} runs the
 * real command line in-process for tests. Failures end in one line on stderr (scrubbed of any
 * password the run learned) and an exit code from {@link ExitCodes}; the stack trace only with
 * {@code --verbose}.
 */
@Command(
        name = "quorumtx",
        mixinStandardHelpOptions = true,
        versionProvider = QuorumTxCli.Version.class,
        description = "QuorumTX: transactions across databases, and the tools to recover them.",
        subcommands = {ScanCommand.class, ResolveCommand.class, LogCommand.class, LocksCommand.class, DemoCommand.class,
            CommandLine.HelpCommand.class},
        footer = ExitCodes.HELP)
public final class QuorumTxCli {

    public static void main(String[] args) {
        // The tool reports everything an operator needs (unreachable databases, heuristics, damage)
        // in its own words, once; the libraries' log lines would repeat it. They come back with
        // --verbose. Must be set before the first logger is created.
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "off"));
        System.exit(run(args));
    }

    /** Runs the command line without exiting, on the real process's streams, environment and console. */
    public static int run(String... args) {
        return run(CliContext.system(), args);
    }

    /** Runs the command line without exiting, in the given surroundings (tests pass their own). */
    public static int run(CliContext context, String... args) {
        Charset charset = Charset.defaultCharset();
        CommandLine cli = new CommandLine(new QuorumTxCli(), new Factory(context));
        cli.setOut(new PrintWriter(new java.io.OutputStreamWriter(context.out(), charset), true));
        cli.setErr(new PrintWriter(new java.io.OutputStreamWriter(context.err(), charset), true));
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> failed(context, e, commandLine));
        return cli.execute(args);
    }

    private static int failed(CliContext context, Exception e, CommandLine commandLine) {
        boolean verbose = commandLine.getCommand() instanceof ToolCommand t && t.verbose();
        int exit = e instanceof ToolException t ? t.exitCode() : ExitCodes.BAD_INPUT;
        String message = e instanceof ToolException ? e.getMessage() : "quorumtx " + commandLine.getCommandName()
                + " failed: " + e;
        context.err().println(context.scrub(message));
        if (commandLine.getCommand() instanceof ToolCommand t && t.jsonOutput()) {
            new Json().print(context.out(), new FailureView(commandLine.getCommandName(), context.scrub(message), exit));
        }
        if (verbose) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            context.err().print(context.scrub(trace.toString()));
        } else if (!(e instanceof ToolException)) {
            context.err().println("(run with --verbose for the stack trace)");
        }
        context.err().flush();
        return exit;
    }

    /** Gives commands that want one their {@link CliContext}; everything else picocli makes as usual. */
    private static final class Factory implements CommandLine.IFactory {
        private final CliContext context;
        private final CommandLine.IFactory fallback = CommandLine.defaultFactory();

        Factory(CliContext context) {
            this.context = context;
        }

        @Override
        public <K> K create(Class<K> type) throws Exception {
            try {
                Constructor<K> constructor = type.getDeclaredConstructor(CliContext.class);
                return constructor.newInstance(context);
            } catch (NoSuchMethodException e) {
                return fallback.create(type);
            }
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = QuorumTxCli.class.getPackage().getImplementationVersion();
            return new String[] {"quorumtx " + (v == null ? "development build" : v)};
        }
    }
}
