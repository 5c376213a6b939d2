package io.quorumtx.jdbc.dblog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Keeps the decisions table bounded: the COMMIT rows of finished transactions (their END) are
 * queued and deleted in batches by the maintenance thread, one transaction per batch; ABORT rows
 * are deleted only once their owner's incarnation is fenced or gone (see {@link DatabaseCommitLog}
 * for why that order is what keeps a late COMMIT out).
 */
final class FinishedRows {

    private final DataSource dataSource;
    private final DecisionSql sql;
    private final ConcurrentLinkedQueue<String> ended = new ConcurrentLinkedQueue<>();
    private final AtomicLong deleted = new AtomicLong();
    private final AtomicInteger queued = new AtomicInteger();

    FinishedRows(DataSource dataSource, DecisionSql sql) {
        this.dataSource = dataSource;
        this.sql = sql;
    }

    /** Queues the END of {@code gtrid}: its COMMIT row is deleted with the next batch. */
    void ended(String gtrid) {
        ended.add(gtrid);
        queued.incrementAndGet();
    }

    /** How many ENDs wait for the next batch. */
    int queued() {
        return queued.get();
    }

    long deleted() {
        return deleted.get();
    }

    /** In the caller's transaction: deletes the COMMIT rows (never ABORT rows) and their BRANCH_DONE rows. */
    void delete(Connection c, List<String> gtrids) throws SQLException {
        try (PreparedStatement done = c.prepareStatement(sql.deleteDone(gtrids.size()));
             PreparedStatement rows = c.prepareStatement(sql.deleteDecisions(gtrids.size()) + " AND decision = 'C'")) {
            for (int i = 0; i < gtrids.size(); i++) {
                done.setString(i + 1, gtrids.get(i));
                rows.setString(i + 1, gtrids.get(i));
            }
            done.executeUpdate();
            deleted.addAndGet(rows.executeUpdate());
        }
    }

    /** Deletes up to {@code max} ended rows in one transaction; returns how many ENDs it took. */
    int deleteEnded(int max) throws SQLException {
        List<String> batch = new ArrayList<>();
        for (String g; batch.size() < max && (g = ended.poll()) != null; ) {
            batch.add(g);
            queued.decrementAndGet();
        }
        if (batch.isEmpty()) {
            return 0;
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            delete(c, batch);
            c.commit();
        } catch (SQLException e) {
            ended.addAll(batch); // tried again next round
            queued.addAndGet(batch.size());
            throw e;
        }
        return batch.size();
    }

    /** Deletes ABORT rows whose owner incarnation is fenced or has no row, and at least {@code age} old. */
    void deleteFencedAborts(Duration age) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM " + sql.decisions + " WHERE decision = 'A' AND"
                     + " decided_at <= ? AND NOT EXISTS (SELECT 1 FROM " + sql.nodes + " n WHERE n.incarnation = "
                     + sql.decisions + ".owner AND n.fenced = 0)")) {
            c.setAutoCommit(true);
            ps.setLong(1, System.currentTimeMillis() - age.toMillis());
            deleted.addAndGet(ps.executeUpdate());
        }
    }
}
