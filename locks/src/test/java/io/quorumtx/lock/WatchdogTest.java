package io.quorumtx.lock;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The service's own watchdog. Stopping it (the service closing) must never interrupt a renewal
 * that is talking to the database: H2 closes its database file when a thread inside its file I/O
 * is interrupted, which broke the application's database ("MVStoreException: Writing to
 * FileChannelImpl failed") in LockValidityTest's stuck-renewal case, where the service closed while
 * the renewal was still busy.
 */
class WatchdogTest {

    @Test
    void stoppingTheWatchdogLetsARunningRenewalFinishUninterrupted() throws Exception {
        Watchdog watchdog = Watchdog.onDaemonThread("watchdog-test");
        CountDownLatch renewing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        watchdog.every(Duration.ofMillis(10), () -> {
            renewing.countDown();
            try {
                release.await(); // stands for a renewal waiting in the database
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
            finished.countDown();
        });
        assertThat(renewing.await(30, TimeUnit.SECONDS)).as("the renewal started").isTrue();

        watchdog.stop();
        release.countDown();

        assertThat(finished.await(30, TimeUnit.SECONDS)).as("the renewal finished").isTrue();
        assertThat(interrupted).as("the running renewal was interrupted by stop()").isFalse();
    }
}
