package io.quorumtx.recovery.cli;

import io.quorumtx.jdbc.RecoveryResources;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.recovery.config.DatabaseConfig;
import io.quorumtx.recovery.config.ToolConfig;
import io.quorumtx.tm.spi.RecoverableResource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.XADataSource;

/**
 * Turns the configured databases into {@link RecoverableResource}s, resolving each password on
 * the way: from the environment variable the file names, else from a prompt when an operator is
 * at a console, else empty (a database without a password). A named variable that is not set is
 * an error rather than an empty password: that is almost always a missing export, and a silent
 * empty password would only turn it into a confusing login failure.
 *
 * <p>Passwords are registered with the {@link CliContext} as secrets and go nowhere else than
 * the driver.
 */
final class Databases {
    private Databases() {
    }

    static List<RecoverableResource> resources(List<DatabaseConfig> databases, CliContext context) {
        List<RecoverableResource> resources = new ArrayList<>(databases.size());
        for (DatabaseConfig db : databases) {
            resources.add(resource(db, password(db, context)));
        }
        return resources;
    }

    /** The databases, then the non-database three-phase participants, of a configuration. */
    static List<RecoverableResource> resources(ToolConfig config, CliContext context) {
        List<RecoverableResource> resources = resources(config.databases(), context);
        for (ToolConfig.ParticipantConfig p : config.participants()) {
            resources.add(participant(p));
        }
        return resources;
    }

    /** Instantiates {@code participant.<name>.class} through its (String name, Map settings) constructor. */
    private static RecoverableResource participant(ToolConfig.ParticipantConfig p) {
        String key = "participant." + p.name() + ".class";
        Object instance;
        try {
            Class<?> type = Class.forName(p.className());
            instance = type.getConstructor(String.class, java.util.Map.class).newInstance(p.name(), p.settings());
        } catch (ClassNotFoundException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, key + "=" + p.className() + ": no such class on the class path;"
                    + " add the participant's jar with -cp", e);
        } catch (NoSuchMethodException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, key + "=" + p.className() + " has no public constructor"
                    + " (String name, Map<String, String> settings)", e);
        } catch (ReflectiveOperationException | RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new ToolException(ExitCodes.BAD_INPUT, key + "=" + p.className() + " could not be created: " + cause, e);
        }
        if (!(instance instanceof io.quorumtx.tm.spi.ThreePhaseParticipant participant)) {
            throw new ToolException(ExitCodes.BAD_INPUT, key + "=" + p.className() + " is not a ThreePhaseParticipant");
        }
        return new io.quorumtx.tm.spi.ThreePhaseResource(participant);
    }

    static String password(DatabaseConfig db, CliContext context) {
        if (db.passwordEnv().isPresent()) {
            String variable = db.passwordEnv().get();
            String value = context.env(variable);
            if (value != null) {
                context.secret(value);
                return value;
            }
            if (!context.prompter().interactive()) {
                throw new ToolException(ExitCodes.BAD_INPUT, db.key("password.env") + " names the environment variable "
                        + variable + ", which is not set; export it (or run the tool at a terminal to be asked)");
            }
        } else if (!context.prompter().interactive()) {
            return "";
        }
        char[] typed = context.prompter().readPassword("Password for database " + db.name()
                + (db.user().isEmpty() ? "" : " (user " + db.user() + ")") + ", Enter for none: ");
        String value = typed == null ? "" : new String(typed);
        context.secret(value);
        return value;
    }

    private static RecoverableResource resource(DatabaseConfig db, String password) {
        Optional<String> dialect = db.dialect();
        if (dialect.isPresent()) {
            return RecoveryResources.dialect(db.name(), new DriverDataSource(db.url(), db.user(), password),
                    dialect(dialect.get()), db.markerTable());
        }
        return RecoveryResources.xa(db.name(), xaDataSource(db, password), db.markerTable());
    }

    private static Dialect dialect(String name) {
        return switch (name) {
            case "h2" -> Dialect.h2();
            case "postgresql" -> Dialect.postgresql();
            case "mysql", "mariadb" -> Dialect.mysql();
            default -> throw new IllegalStateException("validated by ToolConfig: " + name);
        };
    }

    private static XADataSource xaDataSource(DatabaseConfig db, String password) {
        String className = db.xaDataSource().orElseThrow();
        String key = db.key("xa-data-source");
        Object instance;
        try {
            instance = Class.forName(className).getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            throw new ToolException(ExitCodes.BAD_INPUT, key + " names class " + className + ", which is not on the"
                    + " class path (quorumtx.jar includes the H2, PostgreSQL and MariaDB drivers)");
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            throw new ToolException(ExitCodes.BAD_INPUT, key + ": cannot create " + className + " (it needs a public"
                    + " no-argument constructor): " + e, e);
        }
        if (!(instance instanceof XADataSource xa)) {
            throw new ToolException(ExitCodes.BAD_INPUT, key + " names " + className + ", which is not a"
                    + " javax.sql.XADataSource");
        }
        if (!set(instance, db.url(), "setURL", "setUrl")) {
            throw new ToolException(ExitCodes.BAD_INPUT, key + ": " + className + " has no setURL or setUrl method;"
                    + " the tool configures XA data sources by URL");
        }
        if (!db.user().isEmpty()) {
            set(instance, db.user(), "setUser", "setUsername", "setUserName");
        }
        if (!password.isEmpty()) {
            set(instance, password, "setPassword");
        }
        return xa;
    }

    private static boolean set(Object target, String value, String... setters) {
        for (String setter : setters) {
            Method method;
            try {
                method = target.getClass().getMethod(setter, String.class);
            } catch (NoSuchMethodException e) {
                continue;
            }
            try {
                method.invoke(target, value);
                return true;
            } catch (IllegalAccessException | InvocationTargetException e) {
                Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
                // The value may be a password: name the setter, never the value.
                throw new ToolException(ExitCodes.BAD_INPUT, target.getClass().getName() + "." + setter
                        + " refused the configured value: " + cause.getClass().getSimpleName(), cause);
            }
        }
        return false;
    }
}
