package io.quorumtx.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.ExternalDatabases;
import io.quorumtx.tm.spi.PreCommitMarker;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import javax.transaction.xa.XAException;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pre-commit markers of three-phase commit in a database table, on H2, PostgreSQL and
 * MariaDB: written durably and idempotently, many writers sharing one commit, listed and deleted
 * (now, or with the next write), created on first use, and clear errors for a bad table name or a
 * missing table the application was to create.
 */
class PreCommitMarkerTableTest {
    @TempDir
    Path dir;
    private final String table = "qtx_markers_" + UUID.randomUUID().toString().substring(0, 8);
    private final List<Runnable> cleanUp = new ArrayList<>();

    @AfterEach
    void dropTable() {
        cleanUp.forEach(Runnable::run);
    }

    private DataSource database(String kind) throws SQLException {
        DataSource ds = switch (kind) {
            case "h2" -> {
                JdbcDataSource h2 = new JdbcDataSource();
                h2.setURL("jdbc:h2:file:" + dir.resolve("m") + ";WRITE_DELAY=0");
                h2.setUser("sa");
                yield h2;
            }
            case "postgresql" -> {
                ExternalDatabases.Server.POSTGRESQL.require();
                org.postgresql.ds.PGSimpleDataSource pg = new org.postgresql.ds.PGSimpleDataSource();
                pg.setURL("jdbc:postgresql://127.0.0.1:5432/" + ExternalDatabases.DATABASE + "?user=postgres");
                yield pg;
            }
            default -> {
                ExternalDatabases.mariadb();
                org.mariadb.jdbc.MariaDbDataSource maria = new org.mariadb.jdbc.MariaDbDataSource(
                        "jdbc:mariadb://127.0.0.1:3306/" + ExternalDatabases.DATABASE + "?user=root");
                yield maria;
            }
        };
        cleanUp.add(() -> {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + table);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        return ds;
    }

    private PreCommitMarkerTable markers(DataSource ds, boolean create) {
        MarkerConnections.SidePool source = MarkerConnections.of(ds, "db");
        PreCommitMarkerTable t = new PreCommitMarkerTable("db", table, create, source);
        cleanUp.add(0, () -> {
            t.close();
            source.close();
        });
        return t;
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql", "mariadb"})
    void concurrentWritersShareCommitsAndEveryMarkerIsListedWithItsParticipants(String kind) throws Exception {
        PreCommitMarkerTable markers = markers(database(kind), true);
        assertThat(markers.list()).as("no table yet: nothing written here, not an error").isEmpty();
        int writers = 16;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            String gtrid = "n1.e1." + Integer.toString(i + 1, 36) + ".z";
            done.add(pool.submit(() -> {
                start.await();
                markers.write(gtrid, List.of("db", "other-db", "ledger"));
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        List<PreCommitMarker> listed = markers.list();
        assertThat(listed).hasSize(writers);
        assertThat(listed).allSatisfy(m -> assertThat(m.participants()).containsExactly("db", "other-db", "ledger"));
        markers.write("n1.e1.1.z", List.of("db", "other-db", "ledger"));
        assertThat(markers.list()).as("writing a marker again is harmless").hasSize(writers);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql", "mariadb"})
    void markersAreDeletedNowOrWithTheNextWrite(String kind) throws Exception {
        PreCommitMarkerTable markers = markers(database(kind), true);
        markers.write("n1.e1.1.z", List.of("db"));
        markers.write("n1.e1.2.z", List.of("db"));
        markers.write("n1.e1.3.z", List.of("db"));
        markers.deleteLater("n1.e1.1.z");
        assertThat(gtrids(markers)).as("deleteLater waits for the next write").contains("n1.e1.1.z");
        markers.write("n1.e1.4.z", List.of("db"));
        assertThat(gtrids(markers)).containsExactlyInAnyOrder("n1.e1.2.z", "n1.e1.3.z", "n1.e1.4.z");
        markers.delete(List.of("n1.e1.2.z", "n1.e1.3.z"));
        assertThat(gtrids(markers)).containsExactly("n1.e1.4.z");
    }

    @Test
    void theDriversXaConnectionsWorkToo() throws Exception {
        JdbcDataSource h2 = (JdbcDataSource) database("h2");
        PreCommitMarkerTable markers = new PreCommitMarkerTable("db", table, true, MarkerConnections.of(h2));
        cleanUp.add(0, markers::close);
        markers.write("n1.e1.1.z", List.of("db", "b"));
        PreCommitMarkerTable reader = new PreCommitMarkerTable("db", table, false, MarkerConnections.of(h2));
        assertThat(gtrids(reader)).containsExactly("n1.e1.1.z");
    }

    @Test
    void aMissingTableTheApplicationWasToCreateIsNamedInTheError() throws Exception {
        PreCommitMarkerTable markers = markers(database("h2"), false);
        assertThatThrownBy(() -> markers.write("n1.e1.1.z", List.of("db")))
                .isInstanceOf(XAException.class).hasMessageContaining(table);
    }

    @Test
    void aTableNameThatIsNotAPlainIdentifierIsRefused() {
        assertThatThrownBy(() -> new PreCommitMarkerTable("db", "markers; DROP TABLE x", true, () -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pre-commit marker table name")
                .hasMessageContaining("[A-Za-z0-9_]");
    }

    private static Set<String> gtrids(PreCommitMarkerTable markers) throws XAException {
        return markers.list().stream().map(PreCommitMarker::gtrid).collect(Collectors.toSet());
    }
}
