package io.quorumtx.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Where the two bank databases live. Every system gets fresh databases (H2) or a fresh table
 * (servers) per workload, and every system sees the same durability: {@code h2-file} uses
 * {@code WRITE_DELAY=0} for all of them, so a commit acknowledged by H2 has been written,
 * whichever transaction manager asked for it.
 *
 * <p>{@code postgres} and {@code mariadb} use two databases of the local server, by default
 * {@code quorumtx_a} and {@code quorumtx_b} ({@link DatabaseNames}), which {@link ServerSetup}
 * creates when they are missing. Each system works on
 * its own freshly created {@code bench_account} table there, dropped when the system is done, so
 * nothing else's data is touched; because every system uses the same table name, the server
 * workloads run one system at a time (see {@link BankTransferBenchmark}).
 */
enum Workload {
    H2_MEM("h2-mem", null),
    H2_FILE("h2-file", null),
    POSTGRES("postgres", "PostgreSQL at 127.0.0.1:5432"),
    MARIADB("mariadb", "MariaDB at 127.0.0.1:3306");

    private final String label;
    private final String server;

    Workload(String label, String server) {
        this.label = label;
        this.server = server;
    }

    String label() {
        return label;
    }

    /** True for a database server shared with others (as opposed to H2 databases of our own). */
    boolean isServer() {
        return server != null;
    }

    /** The server's name and address for messages; only for {@link #isServer()}. */
    String serverLabel() {
        return server;
    }

    static Workload byName(String name) {
        for (Workload w : values()) {
            if (w.label.equals(name)) {
                return w;
            }
        }
        throw new IllegalArgumentException("bench.workloads: unknown workload '" + name + "'; allowed: "
                + Arrays.stream(values()).map(Workload::label).collect(Collectors.joining(",")));
    }

    /**
     * JDBC URL of database {@code db} ("a" or "b") for {@code system}; H2 names never collide,
     * servers use {@code databases}.
     */
    String url(Path dataDirectory, DatabaseNames databases, String system, String db) {
        String name = system + "-" + db;
        return switch (this) {
            case H2_MEM -> "jdbc:h2:mem:bench-" + name + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000";
            case H2_FILE -> "jdbc:h2:file:" + dataDirectory.resolve(system).resolve(db).toAbsolutePath()
                    + ";WRITE_DELAY=0;LOCK_TIMEOUT=10000";
            case POSTGRES -> "jdbc:postgresql://127.0.0.1:5432/" + databases.of(db) + "?connectTimeout=3";
            case MARIADB -> "jdbc:mariadb://127.0.0.1:3306/" + databases.of(db) + "?connectTimeout=3000";
        };
    }

    /**
     * A server's URL without the benchmark's databases, to create them: PostgreSQL's maintenance
     * database {@code postgres}, MariaDB with no default database.
     */
    String adminUrl() {
        return switch (this) {
            case POSTGRES -> "jdbc:postgresql://127.0.0.1:5432/postgres?connectTimeout=3";
            case MARIADB -> "jdbc:mariadb://127.0.0.1:3306/?connectTimeout=3000";
            case H2_MEM, H2_FILE -> throw new IllegalStateException(label + " is not a server");
        };
    }

    String user() {
        return switch (this) {
            case H2_MEM, H2_FILE -> "sa";
            case POSTGRES -> "postgres";
            case MARIADB -> "root";
        };
    }
}
