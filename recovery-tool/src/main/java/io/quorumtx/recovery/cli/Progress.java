package io.quorumtx.recovery.cli;

import io.quorumtx.tm.spi.RecoverableResource;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;

/**
 * Progress of a scan on stderr, shown only once the scan has taken more than a second (a quick
 * scan prints nothing). On a terminal one line is rewritten in place, {@code [1/3] bank-b ...};
 * otherwise a plain line is printed whenever the state changes, so a log file stays readable.
 * stdout is never touched, so {@code --json} output stays clean.
 *
 * <p>It learns what the engine is doing by wrapping each resource: opening a recovery connection
 * means that database is being asked; closing it means it answered.
 */
final class Progress implements AutoCloseable {
    private static final long DELAY_MILLIS = 1000;

    private final PrintStream err;
    private final boolean terminal;
    private final int total;
    private final Set<String> asked = new LinkedHashSet<>();
    private final Set<String> answered = new LinkedHashSet<>();
    private final ScheduledExecutorService ticker;
    private String current = "";
    private String lastShown = "";
    private boolean shownOnTerminal;

    @SuppressWarnings("FutureReturnValueIgnored") // show() only prints; the ticker is shut down when progress ends
    Progress(CliContext context, int total) {
        this.err = context.err();
        this.terminal = context.stderrTerminal();
        this.total = total;
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "quorumtx-progress");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(this::show, DELAY_MILLIS, 250, TimeUnit.MILLISECONDS);
    }

    /** The resources, each reporting its recovery connections to this progress. */
    List<RecoverableResource> track(Collection<RecoverableResource> resources) {
        List<RecoverableResource> tracked = new ArrayList<>(resources.size());
        for (RecoverableResource r : resources) {
            tracked.add(new Tracked(r));
        }
        return tracked;
    }

    private synchronized void asking(String name) {
        asked.add(name);
        current = name;
    }

    private synchronized void answered(String name) {
        answered.add(name);
    }

    private synchronized void show() {
        String line = "scanning " + current + " (" + answered.size() + " of " + total + " databases answered)";
        if (current.isEmpty() || line.equals(lastShown)) {
            return;
        }
        lastShown = line;
        if (terminal) {
            err.print("\r" + line + "\033[K");
            shownOnTerminal = true;
        } else {
            err.println(line);
        }
        err.flush();
    }

    @Override
    public synchronized void close() {
        ticker.shutdownNow();
        if (shownOnTerminal) {
            err.print("\r\033[K");
            err.flush();
        }
    }

    private final class Tracked implements RecoverableResource {
        private final RecoverableResource delegate;

        Tracked(RecoverableResource delegate) {
            this.delegate = delegate;
        }

        @Override
        public String resourceName() {
            return delegate.resourceName();
        }

        @Override
        public io.quorumtx.tm.spi.PreCommitMarkers preCommitMarkers() {
            return delegate.preCommitMarkers();
        }

        @Override
        public RecoveryConnection openRecoveryConnection() throws XAException {
            asking(delegate.resourceName());
            RecoveryConnection connection;
            try {
                connection = delegate.openRecoveryConnection();
            } catch (XAException | RuntimeException e) {
                answered(delegate.resourceName());
                throw e;
            }
            return new RecoveryConnection() {
                @Override
                public XAResource xaResource() {
                    return connection.xaResource();
                }

                @Override
                public void close() {
                    try {
                        connection.close();
                    } finally {
                        answered(delegate.resourceName());
                    }
                }
            };
        }
    }
}
