package io.quorumtx.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Creates what the server workloads need, so {@code mvn -B -Pbench -DskipTests verify} works on
 * a fresh machine where PostgreSQL and MariaDB run but nothing has been set up: the two
 * databases of {@link DatabaseNames}, created when missing, over JDBC as the servers' local
 * administrators ({@code postgres} with trust authentication, connected to the maintenance
 * database {@code postgres}; {@code root} with an empty password). Each database is reported on
 * one line, whether it was there or created. Nothing else is created or changed: the tables are
 * each system's own ({@link BankDatabase}), and settings that need a restart are only reported
 * ({@link PreparedTransactionSlots}), because the servers are usually shared.
 *
 * <p>{@code .ci/run} prepares the same servers for the tests with {@code psql} and
 * {@code mariadb}, because it also starts them, restarts PostgreSQL and creates a role; the
 * benchmark needs neither client installed and creates only its own databases, so the two do not
 * share code; they share the default names.
 *
 * <p>A server is set up once per run (the transfer and the lock benchmarks both use it); the
 * answer is remembered, including a failure, so the reason is given once.
 */
final class ServerSetup {
    private final DatabaseNames databases;
    private final Map<Workload, Optional<String>> outcomes = new EnumMap<>(Workload.class);

    ServerSetup(DatabaseNames databases) {
        this.databases = databases;
    }

    DatabaseNames databases() {
        return databases;
    }

    /** Empty when both databases exist (now); otherwise why the workload cannot run, with what to do. */
    synchronized Optional<String> ensureDatabases(Workload workload) {
        return outcomes.computeIfAbsent(workload, this::create);
    }

    private Optional<String> create(Workload workload) {
        Connection admin;
        try {
            admin = DriverManager.getConnection(workload.adminUrl(), workload.user(), "");
        } catch (SQLException e) {
            return Optional.of("cannot connect as " + workload.user() + " without a password ("
                    + firstLine(e) + "). " + startHint(workload));
        }
        try (admin) {
            for (String name : databases.both()) {
                if (exists(admin, workload, name)) {
                    System.out.println("set-up " + workload.label() + ": database " + name + " exists on "
                            + workload.serverLabel());
                    continue;
                }
                try (Statement s = admin.createStatement()) {
                    // The name is a checked identifier (DatabaseNames), so it needs no quoting.
                    s.execute(workload == Workload.POSTGRES ? "CREATE DATABASE " + name
                            : "CREATE DATABASE IF NOT EXISTS " + name);
                    System.out.println("set-up " + workload.label() + ": created database " + name + " on "
                            + workload.serverLabel());
                } catch (SQLException e) {
                    if ("42P04".equals(e.getSQLState())) { // duplicate_database: someone created it meanwhile
                        System.out.println("set-up " + workload.label() + ": database " + name
                                + " was created meanwhile on " + workload.serverLabel());
                        continue;
                    }
                    return Optional.of("could not create database " + name + " as " + workload.user() + " ("
                            + firstLine(e) + "); create it, or name existing ones with -D"
                            + DatabaseNames.PROPERTY + "=first,second");
                }
            }
            return Optional.empty();
        } catch (SQLException e) {
            return Optional.of("could not check its databases (" + firstLine(e) + ")");
        }
    }

    private static boolean exists(Connection admin, Workload workload, String name) throws SQLException {
        String sql = workload == Workload.POSTGRES ? "SELECT 1 FROM pg_database WHERE datname = ?"
                : "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?";
        try (PreparedStatement ps = admin.prepareStatement(sql)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** How to start the server on a machine of this kind (Debian packages, maybe without systemd). */
    private static String startHint(Workload workload) {
        if (workload == Workload.MARIADB) {
            return "Start it (here: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd)"
                    + " and let root connect from 127.0.0.1 without a password.";
        }
        String version = installedPostgresVersion().orElse("<version>");
        return "Start it (here: pg_ctlcluster --skip-systemctl-redirect " + version + " main start)"
                + " and let postgres connect from 127.0.0.1 with trust authentication.";
    }

    /** The newest cluster version under /etc/postgresql (Debian's layout), if any. */
    private static Optional<String> installedPostgresVersion() {
        Path etc = Path.of("/etc/postgresql");
        if (!Files.isDirectory(etc)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(etc)) {
            return versions.map(p -> p.getFileName().toString()).filter(v -> v.matches("\\d+(\\.\\d+)?"))
                    .max(Comparator.comparingDouble(Double::parseDouble));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static String firstLine(Exception e) {
        return String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName());
    }
}
