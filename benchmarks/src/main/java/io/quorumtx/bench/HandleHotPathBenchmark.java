package io.quorumtx.bench;

import io.quorumtx.jdbc.TransactionalDataSource;
import io.quorumtx.tm.QuorumTransactionManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.h2.jdbcx.JdbcDataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The JDBC handle's hot path, on a connection enlisted in an open QuorumTX transaction: what an
 * application pays per {@code getConnection}, {@code prepareStatement} and {@code executeUpdate}
 * for the handles ({@code EnlistedConnection} over the pooled {@code XaPhysicalConnection}, and the
 * statement handles). XA-wrapping style over one H2 database in memory, one thread.
 *
 * <p>Each measurement iteration runs inside one transaction, begun before and rolled back after
 * the iteration, so no commit (and no log write) is measured. Self-contained: it needs only
 * tm-core, jdbc-adapter, H2 and JMH. Run with {@code mvn -B -Pbench -DskipTests verify} in
 * integration-tests (see its README), or directly:
 * {@code java -cp <test class path> org.openjdk.jmh.Main HandleHotPathBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgs = {"-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Threads(1)
@State(Scope.Thread)
public class HandleHotPathBenchmark {

    /**
     * Matches no row (the table's one row has id 1): H2 slows down with every update of the same
     * row inside one transaction (measured: 0.8 ms per update after a second of them), which
     * would bury the handles' cost; this update still goes through the whole JDBC path.
     */
    private static final String UPDATE = "UPDATE hot_path SET v = ? WHERE id = 2";

    private Path logDirectory;
    private QuorumTransactionManager tm;
    private TransactionalDataSource dataSource;
    private Connection connection;
    private PreparedStatement update;
    private long value;

    @Setup(Level.Trial)
    public void open() throws Exception {
        logDirectory = Files.createTempDirectory("quorumtx-hot-path");
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:hot_path_" + ProcessHandle.current().pid() + ";DB_CLOSE_DELAY=-1");
        h2.setUser("sa");
        try (Connection c = h2.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE hot_path (id INT PRIMARY KEY, v BIGINT)");
            s.execute("INSERT INTO hot_path VALUES (1, 0)");
        }
        tm = QuorumTransactionManager.builder()
                .nodeId("hot-path")
                .logDirectory(logDirectory.resolve("log"))
                .defaultTimeout(Duration.ofMinutes(5))
                .build();
        dataSource = TransactionalDataSource.builder(tm).name("hot-path").xaDataSource(h2)
                .maximumPoolSize(2).build();
    }

    /** One transaction per iteration; the handle and statement used by the benchmarks are taken in it. */
    @Setup(Level.Iteration)
    public void begin() throws Exception {
        tm.begin();
        connection = dataSource.getConnection();
        update = connection.prepareStatement(UPDATE);
    }

    @TearDown(Level.Iteration)
    public void rollBack() throws Exception {
        update.close();
        connection.close();
        tm.rollback();
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        dataSource.close();
        tm.close();
        try (Stream<Path> files = Files.walk(logDirectory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    // a temporary directory; left behind if it cannot be removed
                }
            });
        }
    }

    /** A new handle on the transaction's already enlisted connection, closed again. */
    @Benchmark
    public void getConnection(Blackhole blackhole) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            blackhole.consume(c);
        }
    }

    /** A prepared statement (guarded SQL, wrapped statement) on the enlisted handle, closed again. */
    @Benchmark
    public void prepareStatement(Blackhole blackhole) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(UPDATE)) {
            blackhole.consume(ps);
        }
    }

    /** One parameter set and one update through the prepared-statement handle. */
    @Benchmark
    public int executeUpdate() throws SQLException {
        update.setLong(1, ++value);
        return update.executeUpdate();
    }
}
