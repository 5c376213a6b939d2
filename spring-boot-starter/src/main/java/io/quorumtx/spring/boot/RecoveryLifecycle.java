package io.quorumtx.spring.boot;

import io.quorumtx.tm.QuorumTransactionManager;
import io.quorumtx.tm.recovery.ResolveReport;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Recovery before the application serves, and a shutdown that lets commits finish.
 *
 * <p>Start: the lifecycle runs in an early {@link #PHASE} (before the web server, message
 * listeners and schedulers, which start in later phases or on the refresh event), runs a recovery
 * pass over every wrapped database and waits for it, so the in-doubt branches a crash left are
 * resolved — and their row locks released — before the first request. A pass that takes longer
 * than {@code quorumtx.startup.recovery-timeout} goes on in the background with a warning; each
 * database's enlistment still waits for its own recovery, so nothing unsafe can happen then.
 *
 * <p>Stop: lifecycles stop in the reverse order of their phases, so this one stops after the web
 * server has drained its requests. It waits up to {@code quorumtx.shutdown.timeout} for running
 * transactions (including commits in phase 2) and pending phase-2 retries, then closes the
 * manager; what is still open is left to the next start's recovery, never cut half-way by the
 * DataSources closing under it (they are destroyed after every lifecycle has stopped).
 */
final class RecoveryLifecycle implements SmartLifecycle {
    /** Lower than the web server's phases ({@code DEFAULT_PHASE - 2048} and up) and than a plain bean's 0. */
    static final int PHASE = -1_000_000;
    private static final Logger LOG = LoggerFactory.getLogger(RecoveryLifecycle.class);

    private final QuorumTransactionManager tm;
    private final Duration recoveryTimeout;
    private final Duration shutdownTimeout;
    private volatile boolean running;

    RecoveryLifecycle(QuorumTransactionManager tm, Duration recoveryTimeout, Duration shutdownTimeout) {
        this.tm = tm;
        this.recoveryTimeout = recoveryTimeout;
        this.shutdownTimeout = shutdownTimeout;
    }

    @Override
    public void start() {
        FutureTask<ResolveReport> pass = new FutureTask<>(tm::recover);
        Thread thread = new Thread(pass, "quorumtx-startup-recovery");
        thread.setDaemon(true);
        thread.start();
        try {
            ResolveReport report = pass.get(recoveryTimeout.toMillis(), TimeUnit.MILLISECONDS);
            if (report.steps().isEmpty() && report.heuristics().isEmpty()) {
                LOG.info("QuorumTX start-up recovery: nothing in doubt");
            } else {
                LOG.info("QuorumTX start-up recovery: {}", report.summary());
            }
            if (!report.nothingInDoubt()) {
                LOG.warn("QuorumTX start-up recovery left work in doubt (periodic passes go on): {}", report.summary());
            }
        } catch (TimeoutException e) {
            LOG.warn("QuorumTX start-up recovery did not finish within quorumtx.startup.recovery-timeout={}; the "
                    + "application starts and the pass goes on (each database waits for its own recovery before it "
                    + "joins a transaction)", recoveryTimeout);
        } catch (ExecutionException e) {
            LOG.warn("QuorumTX start-up recovery failed; periodic passes will retry: {}", e.getCause().toString(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for QuorumTX start-up recovery", e);
        }
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        long deadline = System.nanoTime() + shutdownTimeout.toNanos();
        try {
            while ((tm.activeTransactions() > 0 || tm.pendingPhase2Retries() > 0) && System.nanoTime() < deadline) {
                Thread.sleep(20); // a plain wait for a condition with a deadline: nothing to notify on
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int active = tm.activeTransactions();
        int retries = tm.pendingPhase2Retries();
        if (active > 0 || retries > 0) {
            LOG.warn("QuorumTX shutdown: {} transaction(s) still running and {} phase-2 retry(ies) pending after "
                    + "quorumtx.shutdown.timeout={}; they are left to recovery at the next start", active, retries,
                    shutdownTimeout);
        }
        tm.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
