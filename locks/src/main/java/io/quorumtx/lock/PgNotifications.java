package io.quorumtx.lock;

import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL LISTEN/NOTIFY for lock waiters: a release (or an operator's break) sends
 * {@code NOTIFY <channel>, '<lock name>'}; one listener thread per service, on a connection of its
 * own taken when the first waiter waits, wakes the waiters of that name at once instead of at the
 * end of their back-off. A notification that arrives between a waiter's failed attempt and its
 * wait is not lost for long: the back-off still bounds the wait. The PostgreSQL driver is used
 * through reflection ({@code PGConnection.getNotifications}), so it stays an optional dependency.
 */
final class PgNotifications implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PgNotifications.class);

    private final DataSource dataSource;
    private final String channel;
    private final Map<String, Object> monitors = new ConcurrentHashMap<>();
    private volatile boolean stopped;
    private Thread listener;
    /** Counted down once the listener's LISTEN is in place (waiters then cannot miss a release). */
    private final java.util.concurrent.CountDownLatch listening = new java.util.concurrent.CountDownLatch(1);

    PgNotifications(DataSource dataSource, String table) {
        this.dataSource = dataSource;
        this.channel = "quorumtx_lock_" + table; // table is a validated identifier
    }

    /** The channel releases are announced on. */
    String channel() {
        return channel;
    }

    /** Tells the waiters of {@code name} in every process that it may be free (after the UPDATE committed). */
    void notifyReleased(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, channel);
            ps.setString(2, name);
            ps.execute();
        }
    }

    /** Waits up to {@code millis} or until a release of {@code name} is announced. */
    @SuppressWarnings("WaitNotInLoop") // a bounded wait for a hint: a spurious wakeup only makes the caller's acquire loop retry early
    void await(String name, long millis) throws InterruptedException {
        startListener();
        listening.await(2, java.util.concurrent.TimeUnit.SECONDS); // at once after the first time
        Object monitor = monitors.computeIfAbsent(name, n -> new Object());
        synchronized (monitor) {
            monitor.wait(Math.max(1, millis));
        }
    }

    private synchronized void startListener() {
        if (listener == null && !stopped) {
            listener = new Thread(this::listen, "quorumtx-lock-listen-" + channel);
            listener.setDaemon(true);
            listener.start();
        }
    }

    private void listen() {
        while (!stopped) {
            try (Connection c = dataSource.getConnection()) {
                if (!c.getAutoCommit()) {
                    c.setAutoCommit(true);
                }
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + channel);
                }
                listening.countDown();
                Object pg = c.unwrap(Class.forName("org.postgresql.PGConnection"));
                Method poll = pg.getClass().getMethod("getNotifications", int.class);
                Method parameter = Class.forName("org.postgresql.PGNotification").getMethod("getParameter");
                while (!stopped) {
                    Object[] notes = (Object[]) poll.invoke(pg, 500);
                    if (notes != null) {
                        for (Object n : notes) {
                            wake((String) parameter.invoke(n));
                        }
                    }
                }
            } catch (Exception e) {
                if (!stopped) {
                    LOG.debug("Lock notifications on {} interrupted ({}); waiters fall back to back-off", channel,
                            e.toString());
                    try {
                        Thread.sleep(1000); // re-listen after a failed connection, not in a tight loop
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            }
        }
    }

    private void wake(String name) {
        Object monitor = monitors.get(name);
        if (monitor != null) {
            synchronized (monitor) {
                monitor.notifyAll();
            }
        }
    }

    @Override
    public void close() {
        stopped = true;
        Thread t;
        synchronized (this) {
            t = listener;
        }
        if (t != null) {
            t.interrupt();
        }
    }
}
