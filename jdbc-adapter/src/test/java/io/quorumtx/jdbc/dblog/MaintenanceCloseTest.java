package io.quorumtx.jdbc.dblog;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.testsupport.H2Bank;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closing the log while a maintenance round is in the log database's JDBC calls must not interrupt
 * it: H2 closes its database file when a thread inside its file I/O is interrupted (the log often
 * lives in the application's database). close() waits a bounded time, then leaves the round be.
 */
class MaintenanceCloseTest {

    @Test
    void closeNeverInterruptsARunningRound(@TempDir Path dir) throws Exception {
        String url = H2Bank.url(dir, "log");
        H2Bank.createAccounts(url, 1000);
        CountDownLatch inRound = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch left = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        String probeThread = "quorumtx-probe-dblog-maintenance";
        try (HikariDataSource pool = H2Bank.pool(url, 4)) {
            // A round of the probe's maintenance thread blocks in getConnection: stands for a JDBC call in progress.
            DataSource blocking = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                        if (method.getName().equals("getConnection") && Thread.currentThread().getName().equals(probeThread)
                                && inRound.getCount() > 0) {
                            inRound.countDown();
                            try {
                                if (!release.await(30, TimeUnit.SECONDS)) {
                                    throw new IllegalStateException("never released");
                                }
                            } catch (InterruptedException e) {
                                interrupted.set(true);
                            } finally {
                                left.countDown();
                            }
                        }
                        try {
                            return method.invoke(pool, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            DatabaseCommitLog log = DatabaseCommitLog.builder(blocking, Dialect.h2()).leaseDuration(Duration.ofHours(1))
                    .deleteInterval(Duration.ofHours(1)).build(); // its own maintenance thread stays idle
            log.startIncarnation("n1", "e1");
            Maintenance probe = new Maintenance(log, "probe", Duration.ofMillis(300), Duration.ofHours(1));
            try {
                probe.closeWait(Duration.ofMillis(200));
                assertThat(inRound.await(30, TimeUnit.SECONDS)).as("a maintenance round is in a JDBC call").isTrue();

                probe.close(); // returns after its wait, the round still blocked (or interrupted: the defect)
                release.countDown();
                assertThat(left.await(30, TimeUnit.SECONDS)).as("the round went on").isTrue();
                assertThat(interrupted).as("the running maintenance round was interrupted by close()").isFalse();
            } finally {
                release.countDown();
                log.close();
            }
        }
    }
}
