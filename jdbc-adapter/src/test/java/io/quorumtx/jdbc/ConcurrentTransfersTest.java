package io.quorumtx.jdbc;

import static io.quorumtx.testsupport.H2Bank.addToBalance;
import static io.quorumtx.testsupport.H2Bank.balance;
import static org.assertj.core.api.Assertions.assertThat;

import io.quorumtx.testsupport.H2Bank;
import io.quorumtx.jdbc.testing.Wrapped;
import io.quorumtx.jdbc.testing.Wrapped.Style;
import io.quorumtx.tm.QuorumTransactionManager;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Threads sharing two wrapped DataSources: each gets its own connections, money is conserved, nothing leaks. */
class ConcurrentTransfersTest {

    private static final int THREADS = 4;
    private static final int TRANSFERS = 25;

    @TempDir
    Path directory;

    @ParameterizedTest
    @EnumSource(Style.class)
    void concurrentTransfersConserveMoneyAndReturnEveryConnection(Style style) throws Exception {
        String urlA = H2Bank.url(directory, "a");
        String urlB = H2Bank.url(directory, "b");
        H2Bank.createAccounts(urlA, 100, 100, 100, 100);
        H2Bank.createAccounts(urlB, 100, 100, 100, 100);
        ExecutorService threads = Executors.newFixedThreadPool(THREADS);
        try (QuorumTransactionManager tm = QuorumTransactionManager.builder().nodeId("n1")
                .logDirectory(directory.resolve("log")).build();
             Wrapped a = Wrapped.of(style, tm, "bank-a", urlA);
             Wrapped b = Wrapped.of(style, tm, "bank-b", urlB)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int account = t + 1; // one account per thread: no lock waits, only shared pools and manager
                done.add(threads.submit(() -> {
                    for (int i = 0; i < TRANSFERS; i++) {
                        tm.begin();
                        try (Connection ca = a.dataSource().getConnection(); Connection cb = b.dataSource().getConnection()) {
                            addToBalance(ca, account, -2);
                            addToBalance(cb, account, 2);
                        }
                        if (i % 5 == 0) {
                            tm.rollback();
                        } else {
                            tm.commit();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }

            assertThat(a.activeConnections() + b.activeConnections()).isZero();
            for (int account = 1; account <= THREADS; account++) {
                assertThat(balance(urlA, account)).isEqualTo(100 - 2 * 20);
                assertThat(balance(urlB, account)).isEqualTo(100 + 2 * 20);
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
