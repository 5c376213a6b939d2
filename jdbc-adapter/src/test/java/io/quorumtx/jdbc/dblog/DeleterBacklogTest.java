package io.quorumtx.jdbc.dblog;

import static io.quorumtx.jdbc.dblog.DbLogFixture.count;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.testsupport.Poll;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deleter of finished rows is adaptive: a backlog larger than one batch drains in the rounds
 * it needs by time, not at one batch per round; a handful of ENDs waits a few rounds for more.
 */
class DeleterBacklogTest {
    private static final String DECISIONS = "SELECT COUNT(*) FROM quorumtx_log_decisions";

    @TempDir
    Path directory;

    private DbLogFixture db;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        db = new DbLogFixture(directory);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        db.close();
    }

    private DatabaseCommitLog startedLog(Duration deleteInterval) {
        HikariDataSource pool = H2Bank.pool(db.urlA, 4);
        DatabaseCommitLog log = DatabaseCommitLog.builder(pool, Dialect.h2()).leaseDuration(Duration.ofSeconds(30))
                .deleteInterval(deleteInterval).build();
        log.startIncarnation("deleter", "e1");
        open.add(0, pool);
        open.add(0, log);
        return log;
    }

    /** {@code n} COMMIT rows of finished transactions whose END is queued, as after a burst of commits. */
    private List<String> endedRows(DatabaseCommitLog log, int n) throws Exception {
        List<String> gtrids = new ArrayList<>(n);
        try (Connection c = DriverManager.getConnection(db.urlA, H2Bank.USER, "");
             PreparedStatement ps = c.prepareStatement("INSERT INTO quorumtx_log_decisions (gtrid, decision, owner,"
                     + " decided_at, branches) VALUES (?, 'C', ?, ?, '')")) {
            c.setAutoCommit(false);
            for (int i = 0; i < n; i++) {
                String g = "deleter.e1." + i;
                gtrids.add(g);
                ps.setString(1, g);
                ps.setString(2, log.incarnation());
                ps.setLong(3, System.currentTimeMillis());
                ps.addBatch();
            }
            ps.executeBatch();
            c.commit();
        }
        gtrids.forEach(log::logEnd);
        return gtrids;
    }

    /**
     * Four batches' worth of ENDs: one round (here every 10 s, the lease's third, so its budget is
     * 5 s) applies more than one batch, where the deleter before it was adaptive applied one batch
     * per round whatever the backlog; the rest goes in the following rounds.
     */
    @Test
    void aBacklogOfSeveralBatchesIsDeletedMoreThanOneBatchPerRound() throws Exception {
        DatabaseCommitLog log = startedLog(Duration.ofHours(1));
        int rows = 4 * Maintenance.BATCH;
        endedRows(log, rows);
        assertThat(count(db.urlA, DECISIONS)).isEqualTo(rows);

        assertThat(log.runDeleterNow()).as("ENDs applied by one round").isGreaterThan(Maintenance.BATCH);
        Poll.until("the backlog of " + rows + " finished rows is deleted", Duration.ofSeconds(30), () -> {
            log.runDeleterNow();
            return count(db.urlA, DECISIONS) == 0;
        });

        assertThat(log.stats().rowsDeleted()).isEqualTo(rows);
    }

    @Test
    void aHandfulOfEndsWaitsAFewRoundsForMoreThenGoes() throws Exception {
        DatabaseCommitLog log = startedLog(Duration.ofHours(1)); // rounds only when the test asks
        endedRows(log, 5);

        for (int i = 0; i < Maintenance.MAX_ROUNDS_WAITING; i++) {
            assertThat(log.runDeleterNow()).as("round %d waits for more", i + 1).isZero();
        }
        assertThat(log.runDeleterNow()).as("then deletes what is there").isEqualTo(5);
        assertThat(count(db.urlA, DECISIONS)).isZero();

        endedRows(log, Maintenance.SMALL_BACKLOG);
        assertThat(log.runDeleterNow()).as("enough for a batch: at once").isEqualTo(Maintenance.SMALL_BACKLOG);
    }
}
