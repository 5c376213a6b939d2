package io.quorumtx.jdbc.dblog;

import io.quorumtx.tm.log.CommitLogException;
import io.quorumtx.tm.log.CommitRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone path: COMMIT rows of transactions the log's database takes no part in, written
 * by one thread, group-committed. Committing threads queue their record and wait; the writer
 * takes everything queued, and in one local transaction claims its incarnation's unfenced node
 * row ({@link Incarnations#claimUnfenced}), inserts every row of the batch and commits: one round
 * trip and one server force for many decisions, as the local log's single writer does for its file.
 *
 * <p>Outcomes: a failure before the commit call means the batch's transaction never committed
 * (definitely not written: the callers roll back); a failure of the commit call itself leaves the
 * rows in doubt (the callers leave their branches to recovery, which settles them). A batch that
 * fails on a duplicate key is retried one record at a time, so one decided gtrid does not fail its
 * neighbours. The writer owns its connection; nobody else touches it.
 */
final class DecisionWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DecisionWriter.class);
    private static final int MAX_BATCH = 256;
    /** Queued by {@link #close()}: the writer stops when it takes it (never interrupted: H2 closes its file on interrupt). */
    private static final Pending STOP = new Pending(null, new CompletableFuture<>());

    private record Pending(CommitRecord record, CompletableFuture<Void> done) {
    }

    private final DataSource dataSource;
    private final DecisionSql sql;
    private final Incarnations incarnations;
    private final String incarnation;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final AtomicLong decisions = new AtomicLong();
    private final AtomicLong commits = new AtomicLong();
    private volatile boolean closed;
    private Connection connection; // writer thread only

    DecisionWriter(DataSource dataSource, DecisionSql sql, Incarnations incarnations, String incarnation,
            String nodeId) {
        this.dataSource = dataSource;
        this.sql = sql;
        this.incarnations = incarnations;
        this.incarnation = incarnation;
        this.thread = new Thread(this::run, "quorumtx-" + nodeId + "-dblog-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues the record and waits until its batch committed. */
    void write(CommitRecord record) {
        if (closed) {
            throw CommitLogException.notWritten("the database commit log is closed");
        }
        Pending p = new Pending(record, new CompletableFuture<>());
        queue.add(p);
        if (closed) {
            drainFailed();
        }
        try {
            p.done().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CommitLogException.inDoubt("interrupted while the COMMIT row of " + record.gtrid()
                    + " was being written", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CommitLogException cle) {
                throw cle.rethrownHere();
            }
            throw CommitLogException.inDoubt("writing the COMMIT row of " + record.gtrid() + " failed", e.getCause());
        }
    }

    long decisions() {
        return decisions.get();
    }

    long commits() {
        return commits.get();
    }

    @SuppressWarnings("ReferenceEquality") // STOP is a sentinel: identity is what is meant
    private void run() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (!closed) {
            try {
                Pending first = queue.take();
                if (first == STOP) {
                    break;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                if (batch.remove(STOP)) {
                    queue.add(STOP);
                }
                writeBatch(batch);
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) {
                LOG.error("The database commit log's writer failed", e);
                for (Pending p : batch) {
                    p.done().completeExceptionally(CommitLogException.inDoubt("the writer failed: " + e, e));
                }
            } finally {
                batch.clear();
            }
        }
        closeConnection();
        drainFailed();
    }

    private void writeBatch(List<Pending> batch) {
        boolean committing = false;
        try {
            Connection c = connection();
            if (!incarnations.claimUnfenced(c, incarnation)) {
                c.rollback();
                failAll(batch, CommitLogException.notWritten("incarnation " + incarnation + " is fenced: another node"
                        + " took over its transactions after its lease lapsed (was this process paused longer than"
                        + " the lease?). Nothing was written; restart the transaction manager"));
                return;
            }
            try (PreparedStatement ps = c.prepareStatement(sql.insertDecision())) {
                for (Pending p : batch) {
                    CommitRecord r = p.record();
                    ps.setString(1, r.gtrid());
                    ps.setString(2, "C");
                    ps.setString(3, Incarnations.of(r.gtrid()));
                    ps.setLong(4, r.decidedAtMillis());
                    ps.setString(5, DecisionSql.encode(r.branches()));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            committing = true;
            c.commit();
            decisions.addAndGet(batch.size());
            commits.incrementAndGet();
            for (Pending p : batch) {
                p.done().complete(null);
            }
        } catch (SQLException e) {
            closeConnectionAfterFailure(committing);
            if (committing) {
                failAll(batch, CommitLogException.inDoubt("the commit of the COMMIT rows failed: " + e.getMessage(), e));
            } else if (batch.size() > 1 && sql.isDuplicateKey(e)) {
                for (Pending p : batch) {
                    writeBatch(new ArrayList<>(List.of(p)));
                }
            } else {
                failAll(batch, CommitLogException.notWritten("the COMMIT row could not be written (its transaction"
                        + " did not commit): " + e.getMessage(), e));
            }
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            Connection c = dataSource.getConnection();
            c.setAutoCommit(false);
            connection = c;
        }
        return connection;
    }

    private void closeConnectionAfterFailure(boolean committing) {
        Connection c = connection;
        if (c == null) {
            return;
        }
        if (!committing) {
            try {
                c.rollback();
                return; // the connection is fine: keep it
            } catch (SQLException e) {
                LOG.debug("Rollback after a failed batch failed; reconnecting", e);
            }
        }
        closeConnection();
    }

    private void closeConnection() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                LOG.debug("Could not close the writer's connection", e);
            }
        }
    }

    private static void failAll(List<Pending> batch, CommitLogException e) {
        for (Pending p : batch) {
            p.done().completeExceptionally(e);
        }
    }

    private void drainFailed() {
        List<Pending> left = new ArrayList<>();
        queue.drainTo(left);
        if (left.remove(STOP)) {
            queue.add(STOP); // still for the writer, if it has not stopped yet
        }
        failAll(left, CommitLogException.notWritten("the database commit log is closed"));
    }

    /** Stops the writer after the batch in progress; queued records fail as not written. */
    @Override
    public void close() {
        closed = true;
        queue.add(STOP);
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drainFailed();
    }
}
