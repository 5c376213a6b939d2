package io.quorumtx.jdbc;

import static io.quorumtx.testsupport.H2Bank.addToBalance;
import static io.quorumtx.testsupport.H2Bank.balance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.jdbc.testing.Wrapped.Style;
import io.quorumtx.tm.CommitProtocolType;
import io.quorumtx.tm.testing.CrashInjector;
import io.quorumtx.tm.testing.CrashPoint;
import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.xid.QuorumXid;
import jakarta.transaction.RollbackException;
import jakarta.transaction.SystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.sql.XAConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Three-phase commit over two H2 databases: the pre-commit markers are in every participant before
 * any branch commits, the protocol is chosen per transaction, a participant that keeps no markers
 * is refused before anything is prepared, a marker that cannot be written holds every branch until
 * recovery has written it, and a manager whose commit log was lost commits from the markers.
 */
class ThreePhaseCommitTest {
    private static final String MARKERS = TransactionalDataSource.DEFAULT_MARKER_TABLE;

    @TempDir
    Path directory;
    private String urlA;
    private String urlB;
    private final List<AutoCloseable> open = new ArrayList<>();
    /** What a crash-injector probe saw at each point: point name to observation. */
    private final Map<String, Object> seen = new ConcurrentHashMap<>();

    @BeforeEach
    void createBanks() throws SQLException {
        urlA = H2Bank.url(directory, "a");
        urlB = H2Bank.url(directory, "b");
        H2Bank.createAccounts(urlA, 100);
        H2Bank.createAccounts(urlB, 100);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private QuorumTransactionManager manager(CommitProtocolType protocol, CrashInjector probe) {
        QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1")
                .logDirectory(directory.resolve("log")).defaultProtocol(protocol).crashInjector(probe).build();
        open.add(tm);
        return tm;
    }

    private Wrapped wrap(Style style, QuorumTransactionManager tm, String name, String url,
            boolean createMarkerTable) throws SQLException {
        Wrapped w = Wrapped.of(style, tm, name, url, b -> b.createPreCommitMarkerTable(createMarkerTable));
        open.add(open.indexOf(tm) + 1, w);
        return w;
    }

    private static void transfer(Wrapped a, Wrapped b, int amount) throws SQLException {
        try (Connection ca = a.dataSource().getConnection(); Connection cb = b.dataSource().getConnection()) {
            addToBalance(ca, 1, -amount);
            addToBalance(cb, 1, amount);
        }
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void everyParticipantHoldsItsMarkerBeforeAnyBranchCommits(Style style) throws Exception {
        QuorumTransactionManager tm = manager(CommitProtocolType.THREE_PHASE, (point, gtrid) -> {
            if (point == CrashPoint.AFTER_ALL_MARKERS || point == CrashPoint.BETWEEN_PHASE2_COMMITS) {
                seen.put(point + " markers", List.of(markers(urlA), markers(urlB)));
                seen.put(point + " balance b", unchecked(() -> balance(urlB, 1)));
            }
        });
        Wrapped a = wrap(style, tm, "bank-a", urlA, true);
        Wrapped b = wrap(style, tm, "bank-b", urlB, true);

        tm.begin();
        String gtrid = gtrid(tm);
        transfer(a, b, 30);
        tm.commit();

        assertThat(seen.get("AFTER_ALL_MARKERS markers")).isEqualTo(List.of(List.of(gtrid), List.of(gtrid)));
        assertThat(seen.get("AFTER_ALL_MARKERS balance b")).as("no branch committed yet").isEqualTo(100L);
        assertThat(seen.get("BETWEEN_PHASE2_COMMITS markers")).isEqualTo(List.of(List.of(gtrid), List.of(gtrid)));
        assertThat(balance(urlA, 1)).isEqualTo(70);
        assertThat(balance(urlB, 1)).isEqualTo(130);

        tm.begin();
        String second = gtrid(tm);
        transfer(a, b, 5);
        tm.commit();
        assertThat(markers(urlA)).as("the first transaction's marker went with the next write").containsExactly(second);
        assertThat(markers(urlB)).containsExactly(second);
    }

    @Test
    void theProtocolIsChosenPerTransactionAndWrittenIntoTheXid() throws Exception {
        QuorumTransactionManager tm = manager(CommitProtocolType.TWO_PHASE, (point, gtrid) -> {
            if (point == CrashPoint.AFTER_ALL_PREPARED) {
                seen.put(gtrid, unchecked(() -> inDoubtNames(urlA)));
            }
        });
        Wrapped a = wrap(Style.DIALECT, tm, "bank-a", urlA, true);
        Wrapped b = wrap(Style.XA, tm, "bank-b", urlB, true);

        tm.begin();
        String twoPhase = gtrid(tm);
        assertThat(tm.commitProtocol()).isEqualTo(CommitProtocolType.TWO_PHASE);
        transfer(a, b, 1);
        tm.commit();
        assertThat(markers(urlA)).as("2PC writes no marker").isEmpty();

        tm.begin(CommitProtocolType.THREE_PHASE);
        String threePhase = gtrid(tm);
        assertThat(tm.commitProtocol()).isEqualTo(CommitProtocolType.THREE_PHASE);
        transfer(a, b, 1);
        assertThatThrownBy(() -> tm.setCommitProtocol(CommitProtocolType.TWO_PHASE))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already enlisted");
        tm.commit();
        assertThat(markers(urlA)).containsExactly(threePhase);

        tm.begin();
        tm.setCommitProtocol(CommitProtocolType.THREE_PHASE); // before the first enlistment: allowed
        transfer(a, b, 1);
        tm.commit();

        assertThat(seen.get(twoPhase).toString()).contains("|" + QuorumXid.FORMAT_ID + "|")
                .doesNotContain("|" + QuorumXid.FORMAT_ID_THREE_PHASE + "|");
        assertThat(seen.get(threePhase).toString()).contains("|" + QuorumXid.FORMAT_ID_THREE_PHASE + "|");
        assertThat(balance(urlB, 1)).isEqualTo(103);
    }

    @Test
    void aParticipantThatKeepsNoMarkersIsRefusedBeforeAnythingIsPrepared() throws Exception {
        QuorumTransactionManager tm = manager(CommitProtocolType.THREE_PHASE, null);
        Wrapped a = wrap(Style.XA, tm, "bank-a", urlA, true);
        XAConnection foreign = H2Bank.xaDataSource(urlB).getXAConnection();
        open.add(foreign::close);

        tm.begin();
        try (Connection ca = a.dataSource().getConnection()) {
            addToBalance(ca, 1, -10);
        }
        tm.getTransaction().enlistResource(foreign.getXAResource());
        addToBalance(foreign.getConnection(), 1, 10);

        assertThatThrownBy(tm::commit).isInstanceOf(RollbackException.class)
                .hasMessageContaining("pre-commit marker").hasMessageContaining("TWO_PHASE");
        assertThat(balance(urlA, 1)).isEqualTo(100);
        assertThat(inDoubtNames(urlA)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void whenAMarkerCannotBeWrittenNoBranchCommitsUntilRecoveryHasWrittenIt(Style style) throws Exception {
        QuorumTransactionManager tm = manager(CommitProtocolType.THREE_PHASE, null);
        Wrapped a = wrap(style, tm, "bank-a", urlA, true);
        Wrapped b = wrap(style, tm, "bank-b", urlB, false); // the application was to create the table: it did not

        tm.begin();
        transfer(a, b, 40);
        tm.commit(); // decided COMMIT and durable: the application is told so

        assertThat(balance(urlA, 1)).as("bank-a holds its marker, but no branch may commit yet").isEqualTo(100);
        assertThat(inDoubtNames(urlA)).hasSize(1);
        assertThat(inDoubtNames(urlB)).hasSize(1);
        assertThat(tm.recover().nothingInDoubt()).as("still no table in bank-b").isFalse();
        assertThat(balance(urlB, 1)).isEqualTo(100);

        try (Connection c = DriverManager.getConnection(urlB, "sa", ""); Statement s = c.createStatement()) {
            s.execute(io.quorumtx.jdbc.internal.PreCommitMarkerTable.ddl(MARKERS));
        }
        assertThat(tm.recover().nothingInDoubt()).isTrue();
        assertThat(balance(urlA, 1)).isEqualTo(60);
        assertThat(balance(urlB, 1)).isEqualTo(140);
        tm.recover();
        assertThat(markers(urlA)).as("markers of the finished transaction deleted by recovery").isEmpty();
        assertThat(markers(urlB)).isEmpty();
    }

    @Test
    void aManagerWhoseCommitLogWasLostCommitsFromTheMarkers() throws Exception {
        QuorumTransactionManager crashed = manager(CommitProtocolType.THREE_PHASE, (point, gtrid) -> {
            if (point == CrashPoint.AFTER_ALL_MARKERS) {
                throw new IllegalStateException("simulated crash at " + point);
            }
        });
        Wrapped a = wrap(Style.DIALECT, crashed, "bank-a", urlA, true);
        Wrapped b = wrap(Style.XA, crashed, "bank-b", urlB, true);
        crashed.begin();
        transfer(a, b, 25);
        assertThatThrownBy(crashed::commit).hasMessageContaining("simulated crash");
        closeAll();
        open.clear();
        assertThat(inDoubtNames(urlA)).hasSize(1);
        try (Stream<Path> files = Files.walk(directory.resolve("log"))) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p); // every copy of the commit log is gone
            }
        }

        QuorumTransactionManager restarted = manager(CommitProtocolType.THREE_PHASE, null);
        wrap(Style.DIALECT, restarted, "bank-a", urlA, true);
        wrap(Style.XA, restarted, "bank-b", urlB, true);
        assertThat(restarted.recover().nothingInDoubt()).isTrue();

        assertThat(balance(urlA, 1)).isEqualTo(75);
        assertThat(balance(urlB, 1)).isEqualTo(125);
    }

    private interface Query<T> {
        T run() throws SQLException;
    }

    private static <T> T unchecked(Query<T> query) {
        try {
            return query.run();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String gtrid(QuorumTransactionManager tm) throws SystemException {
        return ((io.quorumtx.tm.internal.QuorumTransaction) tm.getTransaction()).gtrid();
    }

    private static List<String> markers(String url) {
        List<String> gtrids = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement();
             ResultSet tables = c.getMetaData().getTables(null, null, MARKERS.toUpperCase(java.util.Locale.ROOT), null)) {
            if (!tables.next()) {
                return gtrids;
            }
            try (ResultSet rs = s.executeQuery("SELECT gtrid FROM " + MARKERS + " ORDER BY gtrid")) {
                while (rs.next()) {
                    gtrids.add(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return gtrids;
    }

    private static List<String> inDoubtNames(String url) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT TRANSACTION_NAME FROM INFORMATION_SCHEMA.IN_DOUBT")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }
}
