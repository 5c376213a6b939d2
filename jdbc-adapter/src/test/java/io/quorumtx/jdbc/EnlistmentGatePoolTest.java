package io.quorumtx.jdbc;

import static io.quorumtx.testsupport.H2Bank.addToBalance;
import static io.quorumtx.testsupport.H2Bank.balance;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.quorumtx.jdbc.dialect.Dialect;
import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The enlistment gate of a newly registered database must not wait on a scan of a database that
 * is already recovered: with dialect-style resources such a scan borrows from the application's
 * pool, which the callers waiting at the gate may hold entirely. (CI once saw exactly this: four
 * threads held all four connections of pg-a while the pass for pg-b also scanned pg-a, until the
 * transaction timeout rolled them back.)
 */
class EnlistmentGatePoolTest {

    private static final int THREADS = 2;

    @TempDir
    Path directory;

    @Test
    void callersHoldingEveryConnectionOfOnePoolCanEnlistANewlyRegisteredDatabase() throws Exception {
        String urlA = H2Bank.url(directory, "a");
        String urlB = H2Bank.url(directory, "b");
        H2Bank.createAccounts(urlA, 100, 100);
        H2Bank.createAccounts(urlB, 100, 100);
        ExecutorService threads = Executors.newFixedThreadPool(THREADS);
        CountDownLatch holding = new CountDownLatch(THREADS);
        CountDownLatch proceed = new CountDownLatch(1);
        // The pool waits 30 s for a connection; the transactions time out after 5 s. A scan of
        // bank-a while the callers hold its pool would outlast the transactions.
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("gate")
                .logDirectory(directory.resolve("log")).defaultTimeout(Duration.ofSeconds(5))
                .reaperInterval(Duration.ofMillis(100)).build();
             HikariDataSource poolA = H2Bank.pool(urlA, THREADS);
             HikariDataSource poolB = H2Bank.pool(urlB, THREADS);
             TransactionalDataSource a = TransactionalDataSource.builder(tm).name("bank-a").dataSource(poolA)
                     .dialect(Dialect.h2()).build()) {
            tm.awaitRecovered("bank-a");
            List<Future<?>> done = new ArrayList<>();
            TransactionalDataSource[] b = new TransactionalDataSource[1];
            for (int t = 0; t < THREADS; t++) {
                int account = t + 1;
                done.add(threads.submit(() -> {
                    tm.begin();
                    try (Connection ca = a.getConnection()) {
                        addToBalance(ca, account, -7);
                        holding.countDown();
                        proceed.await();
                        try (Connection cb = b[0].getConnection()) {
                            addToBalance(cb, account, 7);
                        }
                    } catch (Exception e) {
                        tm.rollback();
                        throw e;
                    }
                    tm.commit();
                    return null;
                }));
            }
            assertThat(holding.await(10, TimeUnit.SECONDS)).as("both callers hold a connection of bank-a").isTrue();
            assertThat(poolA.getHikariPoolMXBean().getActiveConnections()).isEqualTo(THREADS);
            // Registering bank-b queues its recovery pass; the callers then enlist bank-b at once.
            try (TransactionalDataSource registered = TransactionalDataSource.builder(tm).name("bank-b")
                    .dataSource(poolB).dialect(Dialect.h2()).build()) {
                b[0] = registered;
                proceed.countDown();
                for (Future<?> f : done) {
                    f.get(20, TimeUnit.SECONDS); // a rolled-back transaction fails here
                }
            }
            for (int account = 1; account <= THREADS; account++) {
                assertThat(balance(urlA, account)).isEqualTo(93);
                assertThat(balance(urlB, account)).isEqualTo(107);
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
